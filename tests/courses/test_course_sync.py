"""`courses sync` renders only what it will store, `courses check` renders nothing (issue 10).

Counted, never timed: Markdown fragments rendered and SQL statements sent.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.sqlcount import count_statements
from portal import courses as loader
from portal.courses import check_path, frontmatter, load_catalogue, quizzes, render_markdown
from portal.courses import markdown as rendering
from portal.models import Module, ModuleVersion
from portal.services.catalogue import stored_versions, sync_catalogue
from tests.factories import sync_courses, write_copied_course

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TRAINING = FIXTURES / "training"
COURSE_DESCRIPTION = "A short course used by the tests.\n"


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The text of every Markdown fragment rendered from here on."""
    seen: list[str] = []
    real = loader.render_markdown

    def counting(text: str, **options: bool) -> str:
        seen.append(text)
        return real(text, **options)

    monkeypatch.setattr(quizzes, "render_markdown", counting)  # where the loader calls it
    return seen


def copy_training(tmp_path: Path) -> Path:
    root = tmp_path / "courses"
    shutil.copytree(TRAINING, root)
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def sync(session: Session, root: Path):  # noqa: ANN201 - the SyncReport
    stored = stored_versions(session)
    catalogue, errors = load_catalogue(root, stored=stored)
    assert errors == [], [str(e) for e in errors]
    report = sync_catalogue(session, catalogue, stored)
    session.commit()
    return report


def versions(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ModuleVersion))


def test_an_unchanged_sync_renders_only_the_course_descriptions(session, renders) -> None:
    sync(session, TRAINING)
    assert len(renders) > 20  # every lesson, question, answer and feedback the first time
    renders.clear()
    report = sync(session, TRAINING)
    assert renders == [COURSE_DESCRIPTION]
    assert report.unchanged == ["first-module", "second-module"]
    assert report.created == report.new_versions == []
    assert versions(session) == 2


def test_a_changed_module_is_the_only_one_rendered(session, renders, tmp_path) -> None:
    root = copy_training(tmp_path)
    sync(session, root)
    renders.clear()
    edit(root / "basics" / "01-first.md", "Lesson text", "Lesson words")
    report = sync(session, root)
    assert report.new_versions == ["first-module"] and report.unchanged == ["second-module"]
    assert any("Lesson words" in text for text in renders)
    second = (root / "basics" / "02-second.md").read_text(encoding="utf-8")
    assert all(text not in second for text in renders if len(text) > 3)
    first = session.scalar(select(Module).where(Module.key == "first-module"))
    assert "Lesson words" in first.current_version.body_html
    assert versions(session) == 3


def test_going_back_to_stored_content_renders_nothing_and_reuses_its_version(
        session, renders, tmp_path) -> None:
    root = copy_training(tmp_path)
    sync(session, root)
    module = session.scalar(select(Module).where(Module.key == "first-module"))
    original = module.current_version_id
    edit(root / "basics" / "01-first.md", "Lesson text", "Lesson words")
    sync(session, root)
    edit(root / "basics" / "01-first.md", "Lesson words", "Lesson text")
    renders.clear()
    sync(session, root)
    session.expire_all()
    assert renders == [COURSE_DESCRIPTION]
    assert session.get(Module, module.id).current_version_id == original
    assert versions(session) == 3


def test_the_stored_html_is_the_same_as_a_full_load(session, tmp_path) -> None:
    root = copy_training(tmp_path)
    sync_courses(session, root)  # as the CLI does: the factory passes the stored versions
    full, _ = load_catalogue(root)
    for loaded in (m for course in full.courses for m in course.modules):
        stored = session.scalar(select(Module).where(Module.key == loaded.id)).current_version
        assert stored.content_hash == loaded.content_hash
        assert stored.body_html == loaded.body_html
        assert [q["prompt_html"] for q in stored.questions] == \
            [q.prompt_html for q in loaded.questions]


@contextmanager
def counted(session: Session) -> Iterator[list[str]]:
    with count_statements(session.get_bind()) as log:
        yield log.statements


@pytest.mark.parametrize("modules", [2, 8])
def test_an_unchanged_sync_costs_the_same_statements_however_many_modules(
        session, tmp_path, modules) -> None:
    root = tmp_path / "courses"
    write_copied_course(root, "many", "champion", modules)
    sync(session, root)
    session.expunge_all()
    with counted(session) as statements:
        report = sync(session, root)
    assert len(report.unchanged) == modules
    # stored versions, courses, modules; nothing written
    assert len(statements) == 3, statements


def test_courses_check_renders_nothing_and_reports_the_same_problems(renders, tmp_path) -> None:
    broken = FIXTURES / "courses" / "broken"
    deep = tmp_path / "deep.md"
    deep.write_text((TRAINING / "basics" / "01-first.md").read_text(encoding="utf-8").replace(
        "Lesson text", "\n\n" + "> " * 20 + "too deep\n"), encoding="utf-8")
    assert check_path(TRAINING) == []
    checked = [str(error) for error in [*check_path(broken), *check_path(deep)]]
    assert renders == []
    loaded = [str(error) for error in [*load_catalogue(broken)[1],
                                       *loader.load_module_file(deep)[1]]]
    assert checked == loaded
    assert any("nested more than" in message for message in checked)


def test_the_cli_sync_skips_unchanged_modules(app_factory, tmp_path, renders) -> None:
    root = copy_training(tmp_path)
    app = app_factory(COURSES_DIR=root)
    runner = app.test_cli_runner()
    assert "2 new" in runner.invoke(args=["courses", "sync"]).output
    renders.clear()
    result = runner.invoke(args=["courses", "sync"])
    assert "0 new, 0 changed, 2 unchanged" in result.output, result.output
    assert renders == [COURSE_DESCRIPTION]


def test_a_reused_parser_forgets_the_previous_document() -> None:
    with_reference = render_markdown("[a]: https://example.org/one\n\nSee [this][a].")
    assert 'href="https://example.org/one"' in with_reference
    assert "href" not in render_markdown("See [this][a].")  # no definition in this document
    assert "<h2" not in render_markdown("# Title\n\nText", drop_title=True)
    assert render_markdown("# Title").startswith("<h2")


def test_rendering_in_threads_gives_what_one_thread_gives() -> None:
    texts = [f"# Part {n}\n\n[link][r{n}] and *{n}*\n\n[r{n}]: https://example.org/{n}\n\n"
             f"- item {n}\n- other" for n in range(40)]
    expected = [render_markdown(text, drop_title=n % 2 == 0) for n, text in enumerate(texts)]
    results: dict[int, list[str]] = {}

    def work(worker: int) -> None:
        results[worker] = [render_markdown(text, drop_title=n % 2 == 0)
                           for _ in range(5) for n, text in enumerate(texts)]

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(result == expected * 5 for result in results.values())


def without_the_plain_text_shortcut(render: Callable[[], object]) -> object:
    """What render() gives when every fragment goes through Python-Markdown."""
    shortcut = rendering._PLAIN_PARAGRAPH
    rendering._PLAIN_PARAGRAPH = re.compile(r"(?!)")  # matches nothing
    try:
        return render()
    finally:
        rendering._PLAIN_PARAGRAPH = shortcut


@settings(max_examples=400, deadline=None, database=None)
@given(st.one_of(st.from_regex(rendering._PLAIN_PARAGRAPH, fullmatch=True), st.text(max_size=60)),
       st.booleans(), st.booleans())
def test_plain_prose_renders_as_python_markdown_renders_it(text, inline, drop_title) -> None:
    try:
        parsed = without_the_plain_text_shortcut(
            lambda: render_markdown(text, inline=inline, drop_title=drop_title))
    except loader.MarkdownLimitError:
        return
    assert render_markdown(text, inline=inline, drop_title=drop_title) == parsed


def test_the_real_curriculum_renders_the_same_without_the_shortcut() -> None:
    root = Path(__file__).resolve().parents[2] / "courses"
    assert load_catalogue(root) == without_the_plain_text_shortcut(lambda: load_catalogue(root))


@pytest.mark.parametrize("root", [Path(__file__).resolve().parents[2] / "courses",
                                  FIXTURES / "courses" / "broken", FIXTURES / "courses" / "valid",
                                  TRAINING])
def test_front_matter_reads_the_same_with_either_yaml_parser(root, monkeypatch) -> None:
    fast = load_catalogue(root)
    monkeypatch.setattr(frontmatter, "_FAST_LOADER", None)
    assert [str(error) for error in fast[1]] == [str(error) for error in load_catalogue(root)[1]]
    assert fast[0] == load_catalogue(root)[0]


@pytest.mark.parametrize("modules", [2, 8])
def test_a_changed_sync_costs_the_same_statements_besides_its_inserts(
        session, tmp_path, modules) -> None:
    root = tmp_path / "courses"
    write_copied_course(root, "many", "champion", modules)
    sync(session, root)
    for path in (root / "many").glob("*-copy.md"):
        edit(path, "Lesson text", "Lesson words")
    session.expunge_all()
    with counted(session) as statements:
        report = sync(session, root)
    assert len(report.new_versions) == modules
    inserts = [s for s in statements if s.startswith("INSERT INTO module_version")]
    # stored versions, courses, modules; one UPDATE (executemany) pointing modules at the new
    # rows; the rows themselves in one INSERT on PostgreSQL, one each on SQLite
    assert len(statements) - len(inserts) == 4, statements
    assert 1 <= len(inserts) <= modules
