"""Content commands: courses (check, sync, import-gift) and the support directory (load).
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from portal import clock
from portal.courses import check_path, load_catalogue
from portal.db import new_session
from portal.services.assignments import (
    catch_up_required_assignments,
)
from portal.services.catalogue import stored_versions, sync_catalogue
from portal.services.directory import (
    DATA_FILE,
    DirectoryFileError,
    load_directory,
    read_directory,
)


@click.group("courses", cls=AppGroup, help="Training content in courses/.")
def courses_group() -> None:
    pass


@courses_group.command("check")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
def courses_check(path: Path | None) -> None:
    """List every problem in the courses (or one course folder or module file)."""
    errors = check_path(path or current_app.config["COURSES_DIR"])
    for error in errors:
        click.echo(str(error))
    if errors:
        raise click.ClickException(f"{len(errors)} problem(s) found.")
    click.echo("No problems found.")


@courses_group.command("sync")
def courses_sync() -> None:
    """Store the courses in the database: a new version row only when content changes."""
    with new_session() as session, session.begin():
        # Versions stored already are checked but not rendered again: that is most of the time.
        stored = stored_versions(session)
        catalogue, errors = load_catalogue(current_app.config["COURSES_DIR"], stored=stored)
        if errors:
            for error in errors:
                click.echo(str(error))
            raise click.ClickException("Fix these problems first; nothing was changed.")
        report = sync_catalogue(session, catalogue, stored)
        # A course that has just become required reaches current members now, not tomorrow.
        assigned = catch_up_required_assignments(session, today=clock.today())
    click.echo(f"Courses synced: {len(report.created)} new, {len(report.new_versions)} "
               f"changed, {len(report.unchanged)} unchanged, {len(report.retired)} retired.")
    if assigned:
        click.echo(f"Required training assigned to members who lacked it: {assigned}.")


@courses_group.command("import-gift")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the <quiz> blocks to this file instead of the screen.")
@click.option("--strict", is_flag=True,
              help="Fail, writing nothing, if any question cannot be imported.")
def courses_import_gift(file: Path, output: Path | None, strict: bool) -> None:
    """Turn a Moodle GIFT question bank into <quiz> blocks, reporting questions left out."""
    from portal.courses.gift import GiftError, import_gift

    try:
        result = import_gift(file)
    except GiftError as error:
        for line, reason in error.problems:
            click.echo(f"{file}:{line}: {reason}", err=True)
        raise click.ClickException("No question could be imported; nothing was written.") \
            from error
    # The report goes to stderr, in file order, so the blocks alone can be piped from stdout.
    report = [(skip.line, f"skipped {skip.kind} question: {skip.reason}")
              for skip in result.skipped]
    report += [(note.line, f"note: {note.text}") for note in result.notes]
    for line, message in sorted(report, key=lambda item: item[0]):
        click.echo(f"{file}:{line}: {message}", err=True)
    if strict and result.skipped:
        raise click.ClickException(f"--strict: {len(result.skipped)} question(s) could not be "
                                   "imported; nothing was written.")
    if output is None:
        click.echo(result.markdown, nl=False)
    else:
        output.write_text(result.markdown, encoding="utf-8")
    click.echo(f"Imported {result.imported} question(s), skipped {len(result.skipped)}"
               + (f"; wrote {output}." if output else "."), err=True)


@click.group("directory", cls=AppGroup, help="The public support directory.")
def directory_group() -> None:
    pass


@directory_group.command("load")
@click.option("--file", "path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The data file (default: portal/data/support-services.yaml).")
def directory_load(path: Path | None) -> None:
    """Load the directory's data file: add new services, update entries the file changed.

    Every entry is checked first; if any is invalid, nothing is written.
    """
    path = _shown(path or DATA_FILE)
    try:
        entries = read_directory(path)
    except DirectoryFileError as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        raise click.ClickException(
            f"Nothing was loaded. Fix the {len(error.problems)} problem(s) above.") from None
    with new_session() as session, session.begin():
        report = load_directory(session, entries)
    click.echo(f"Loaded {path}: {len(report.created)} created, {len(report.updated)} updated, "
               f"{len(report.unchanged)} unchanged.")
    for key in report.updated:
        click.echo(f"  updated: {key}")


def _shown(path: Path) -> Path:
    """The path relative to the working directory when it is inside it, for shorter messages."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


