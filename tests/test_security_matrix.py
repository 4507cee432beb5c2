"""The security test matrix: every row of SECURITY.md Part B, and the tests that meet it.

SECURITY.md lives outside this repository, so its row IDs are copied into ROWS below. Each row
maps to one of:

* a tuple of test references, "tests/path/test_file.py::test_name" (or ::Class::method), with no
  parametrisation ids: the tests that show the row's expected outcome;
* `Partly(tests, not_covered=...)`: tests for the part of the row that applies, and which part
  has no automated test and why (not applicable here, or a deployment/manual step);
* `NotApplicable("reason")`: the row does not apply to what the portal does, and why.

The tests below fail when a row is missing or unknown, when a referenced test does not exist
(read with `ast`, without importing anything), or when a reason is too thin to be a reason.
See tests/README.md for how to add a row.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# SECURITY.md Part B, tables B.3 to B.12, in order.
ROWS = (
    # B.3 Authentication and account lifecycle
    "AUTH-01", "AUTH-02", "AUTH-03", "AUTH-04", "AUTH-05", "AUTH-06", "AUTH-07", "AUTH-08",
    "AUTH-09", "AUTH-10", "AUTH-11", "AUTH-12", "AUTH-13", "AUTH-14", "AUTH-15", "AUTH-16",
    # B.4 Session management
    "SESS-01", "SESS-02", "SESS-03", "SESS-04", "SESS-05", "SESS-06", "SESS-07", "SESS-08",
    "SESS-09", "SESS-10",
    # B.5 Access control and multi-tenant isolation
    "AUTHZ-01", "AUTHZ-02", "AUTHZ-03", "AUTHZ-04", "AUTHZ-05", "AUTHZ-06", "AUTHZ-07",
    "AUTHZ-08", "AUTHZ-09", "AUTHZ-10",
    # B.6 Input handling, output encoding, CSRF, redirects
    "XSS-01", "XSS-02", "XSS-03", "XSS-04", "XSS-05", "CSV-01", "SQL-01", "CSRF-01", "CSRF-02",
    "REDIR-01", "REDIR-02", "HDR-INJ-01", "PARAM-01", "FUZZ-01",
    # B.7 Quiz and enrolment integrity
    "QUIZ-01", "QUIZ-02", "QUIZ-03", "QUIZ-04", "QUIZ-05", "QUIZ-06", "QUIZ-07", "QUIZ-08",
    "QUIZ-09", "QUIZ-10", "QUIZ-11", "QUIZ-12", "QUIZ-13", "QUIZ-14",
    # B.8 Policy-document upload
    "FILE-01", "FILE-02", "FILE-03", "FILE-04", "FILE-05", "FILE-06", "FILE-07", "FILE-08",
    # B.9 Headers, configuration, errors
    "CONF-01", "CONF-02", "CONF-03", "CONF-04", "CONF-05", "CONF-06", "CONF-07", "CONF-08",
    "CONF-09", "CONF-10",
    # B.10 Logging and audit
    "LOG-01", "LOG-02", "LOG-03", "LOG-04", "LOG-05", "LOG-06",
    # B.11 Privacy / UK GDPR behaviours
    "PRIV-01", "PRIV-02", "PRIV-03", "PRIV-04", "PRIV-05", "PRIV-06", "PRIV-07", "PRIV-08",
    "PRIV-09", "PRIV-10", "PRIV-11",
    # B.12 Reliability
    "REL-01", "REL-02", "REL-03", "REL-04", "REL-05", "REL-06", "REL-07", "REL-08", "REL-09",
    "REL-10", "REL-11", "REL-12", "REL-13", "REL-14", "REL-15", "REL-16", "REL-17", "REL-18",
)


@dataclass(frozen=True)
class NotApplicable:
    reason: str


@dataclass(frozen=True)
class Partly:
    tests: tuple[str, ...]
    not_covered: str


# Short names for the test files, so the table stays readable.
AUTH = "tests/views/test_auth.py"
ACCOUNTS = "tests/services/test_accounts.py"
S_AUTH = "tests/test_security_auth.py"
S_ACCESS = "tests/test_security_access.py"
S_CONFIG = "tests/test_security_config.py"
S_CSRF = "tests/test_security_csrf.py"
S_INPUT = "tests/test_security_input.py"
S_PAGES = "tests/test_security_pages.py"
S_PRIVACY = "tests/test_security_privacy.py"
FUZZ = "tests/test_fuzz_forms.py"
REL = "tests/test_reliability.py"
MAIN = "tests/views/test_main.py"
APP = "tests/test_app.py"
CLI = "tests/cli/test_cli.py"
MAIL = "tests/test_mail.py"
JOINING = "tests/views/test_joining.py"
JOIN_ACCESS = "tests/test_joining_access.py"
ESCAPING = "tests/test_joining_escaping.py"
CHAMPIONS = "tests/views/test_champions.py"
INVITATIONS = "tests/views/test_invitations.py"
FILES = "tests/views/test_bulk_invitations.py"
ORGS = "tests/views/test_organisations.py"
ORG_SERVICE = "tests/services/test_organisations.py"
COORDINATOR = "tests/views/test_coordinator.py"
TRAINING = "tests/views/test_training.py"
MARKDOWN = "tests/courses/test_markdown_safety.py"
SUPPORT = "tests/views/test_support.py"
SUPPORT_SERVICE = "tests/services/test_support.py"
SIGNPOSTING = "tests/views/test_signposting.py"
POLICY = "tests/views/test_policy.py"
POLICY_ACCESS = "tests/test_policy_access.py"
UPLOADS = "tests/services/test_uploads.py"
PEOPLE = "tests/views/test_people.py"
AUDIT_LOG = "tests/views/test_audit_log.py"
PRIVACY = "tests/services/test_subject_rights.py"
REGISTRY = "tests/test_privacy_registry.py"
RETENTION = "tests/services/test_retention.py"
MIGRATIONS = "tests/test_migrations.py"
MIGRATION_DATA = "tests/test_migration_data.py"
RESTORE = "tests/test_restore_drill.py"
SUPPLY = "tests/test_supply_chain.py"
PERMISSIONS = "tests/test_permissions.py"
PRODLIKE = "tests/prodlike/test_prodlike.py"
LAYOUT = "tests/browser/test_layout.py"
COORD_SECURITY = "tests/views/test_coordinator_security.py"
TWO_FACTOR = "tests/views/test_two_factor.py"
TEMPLATES_SAFE = "tests/test_templates_safe.py"
EXPORTS = "tests/services/test_exports.py"
MONITORING = "tests/views/test_monitoring.py"
DISCLOSURE = "tests/services/test_small_numbers.py"
ASSIGNMENTS = "tests/views/test_assignments.py"
ASSIGNMENT_SERVICE = "tests/services/test_assignments.py"
REMINDERS = "tests/services/test_reminders.py"


def t(file: str, *names: str) -> tuple[str, ...]:
    return tuple(f"{file}::{name}" for name in names)


MATRIX: dict[str, tuple[str, ...] | Partly | NotApplicable] = {
    # --- B.3 Authentication and account lifecycle ---------------------------------------------
    "AUTH-01": t(AUTH, "test_eleventh_wrong_password_in_15_minutes_is_throttled",
                 "test_throttle_counts_per_account_not_per_form_submission",
                 "test_failed_sign_ins_are_audited_without_the_address"),
    "AUTH-02": t(S_AUTH, "test_password_spraying_from_one_address_is_throttled",
                 "test_behind_one_proxy_a_spoofed_forwarded_for_does_not_reset_the_count"),
    # Needs REDIS_URL (skipped without it); the two-gunicorn run is in tests/prodlike.
    "AUTH-03": t(AUTH, "test_throttle_is_shared_by_two_instances_using_redis")
    + t(PRODLIKE, "test_auth_03_sign_in_throttling_is_shared_across_instances")
    # Production refuses per-process (memory://) counters unless one process is declared.
    + t(S_CONFIG, "test_production_refuses_rate_limits_counted_per_process",
        "test_production_shares_rate_limits_through_redis",
        "test_a_single_process_deployment_may_opt_out_and_is_told_so"),
    "AUTH-04": t(COORD_SECURITY, "test_auth_04_changing_a_password_shares_the_sign_in_throttle")
    + t(MONITORING, "test_password_confirmation_is_throttled_with_sign_in"),
    "AUTH-05": t(AUTH, "test_wrong_password_and_unknown_email_get_identical_responses"),
    "AUTH-06": t(AUTH, "test_reset_gives_the_same_response_for_known_and_unknown_addresses",
                 "test_reset_requests_are_limited_per_address")
    + t(JOINING, "test_an_address_with_an_account_gets_the_same_page_and_an_email"),
    "AUTH-07": t(AUTH, "test_weak_new_passwords_are_refused_with_a_reason")
    + t(ACCOUNTS, "test_passphrases_with_spaces_and_any_characters_are_accepted",
        "test_passwords_are_case_sensitive")
    + t(INVITATIONS, "test_weak_passwords_and_bad_names_are_refused")
    + t(S_AUTH, "test_password_fields_let_people_paste_long_passphrases"),
    "AUTH-08": t(ACCOUNTS, "test_production_parameters_meet_owasp_guidance",
                 "test_new_hashes_are_argon2id", "test_old_hashes_are_upgraded_at_sign_in")
    + t(S_PRIVACY, "test_logs_hold_no_passwords_tokens_cookies_or_addresses"),
    # (a) once, (b) expiry, (c) another purpose's token, (d) older than the password, (e) headers
    "AUTH-09": t(AUTH, "test_reset_link_works_once", "test_reset_link_expires_after_an_hour",
                 "test_reset_link_dies_when_the_password_changes_another_way")
    + t(JOINING, "test_confirmation_links_expire_and_cannot_be_forged")
    + t(S_PAGES, "test_every_page_sends_the_security_headers",
        "test_no_page_is_kept_by_browsers_or_proxies",
        "test_no_page_loads_or_links_anything_from_elsewhere"),
    "AUTH-10": t(AUTH, "test_reset_links_are_built_from_base_url_not_the_host_header")
    + t(CHAMPIONS, "test_invitation_links_come_from_base_url_not_the_request"),
    "AUTH-11": t(INVITATIONS, "test_a_used_link_cannot_be_used_again",
                 "test_an_expired_link_says_so", "test_unknown_links_do_not_work",
                 "test_someone_else_signed_in_cannot_accept",
                 "test_an_existing_account_signs_in_and_keeps_its_history",
                 "test_extra_fields_are_ignored_when_accepting",
                 "test_a_suspended_organisation_cannot_take_on_champions")
    + t(CHAMPIONS, "test_revoking_kills_the_link",
        "test_inviting_a_champion_stores_a_hash_and_emails_a_neutral_link",
        "test_resending_makes_a_new_link_and_kills_the_old_one"),
    "AUTH-12": NotApplicable(
        "Nobody can change an account's e-mail address in the portal: it comes from the "
        "invitation or the application and is confirmed by a link sent to it. If e-mail change "
        "is ever added, this row applies (fresh password, single-use link, notice to the old "
        "address)."),
    "AUTH-13": t(CLI, "test_seed_demo_refuses_in_production",
                 "test_create_coordinator_prints_a_one_time_password")
    + t(S_AUTH, "test_production_starts_with_no_accounts_at_all",
        "test_auth_13_a_one_time_password_reaches_only_the_password_change",
        "test_auth_13_choosing_a_password_opens_the_portal",
        "test_auth_13_sign_out_and_exit_still_work_before_the_change"),
    "AUTH-14": t(TWO_FACTOR, "test_auth_14_password_alone_leaves_nobody_signed_in",
                 "test_auth_14_pending_session_reaches_no_signed_in_page",
                 "test_auth_14_a_used_code_cannot_be_replayed",
                 "test_auth_14_an_expired_code_is_refused",
                 "test_auth_14_wrong_codes_are_rate_limited_per_account",
                 "test_auth_14_a_password_reset_does_not_skip_the_code",
                 "test_auth_14_racing_the_same_code_signs_in_once"),
    "AUTH-15": t(AUTH, "test_sign_in_without_a_csrf_token_is_rejected",
                 "test_sign_out_is_post_only_and_needs_csrf")
    + t(S_CSRF, "test_every_post_refuses_a_bad_token_and_changes_nothing")
    + t(MAIN, "test_exit_clears_everything_and_goes_to_the_fixed_destination"),  # the GET exit
    "AUTH-16": t(AUTH, "test_deactivated_people_are_signed_out_and_get_no_reset")
    + t(ORGS, "test_a_withdrawn_champion_loses_access_to_the_organisation")
    + t(REMINDERS, "test_nobody_who_has_left_or_is_inactive_or_paused_gets_reminders"),

    # --- B.4 Session management ---------------------------------------------------------------
    "SESS-01": t(AUTH, "test_session_cookie_is_secure_httponly_lax_and_holds_no_personal_data")
    + t(S_AUTH, "test_every_cookie_the_portal_sets_is_locked_down")
    + t(APP, "test_production_starts_with_strong_settings"),
    "SESS-02": t(AUTH, "test_a_copied_cookie_stops_working_after_sign_out")
    + t(MAIN, "test_exit_clears_everything_and_goes_to_the_fixed_destination"),
    "SESS-03": t(AUTH, "test_changing_password_signs_out_other_devices",
                 "test_reset_link_dies_when_the_password_changes_another_way")
    + t(S_AUTH, "test_a_password_reset_signs_out_every_other_session"),
    "SESS-04": t(AUTH, "test_idle_session_expires_after_30_minutes",
                 "test_session_ends_after_12_hours_however_active")
    + t(COORD_SECURITY, "test_sess_04_coordinators_are_signed_out_after_15_idle_minutes")
    + t(S_AUTH, "test_idle_expiry_mid_quiz_loses_nothing_that_was_saved"),
    "SESS-05": t(S_AUTH, "test_nothing_planted_before_sign_in_survives_it"),
    # Remember-me is off for everybody, so the staff half of the row has nothing to test.
    "SESS-06": t(S_AUTH, "test_there_is_no_remember_me")
    + t(S_CONFIG, "test_production_settings_are_the_safe_ones"),
    "SESS-07": t(AUTH, "test_session_cookie_is_secure_httponly_lax_and_holds_no_personal_data")
    + t(JOINING, "test_the_session_cookie_holds_no_answers")
    + t(S_AUTH, "test_the_session_cookie_holds_only_ids_and_timestamps"),
    "SESS-08": t(S_PAGES, "test_no_page_is_kept_by_browsers_or_proxies",
                 "test_every_error_response_sends_the_security_headers")
    + t(MAIN, "test_security_headers_on_every_response"),
    "SESS-09": Partly(
        t(COORD_SECURITY, "test_sess_09_coordinator_signs_a_person_out_everywhere",
          "test_sess_09_needs_a_post_with_a_csrf_token",
          "test_sess_09_only_members_of_that_organisation",
          "test_sess_09_is_for_coordinators_only")
        + t(TWO_FACTOR, "test_signing_out_everywhere_kills_a_pending_marker"),
        not_covered="There is no 'sign out everyone' button (a global epoch): a coordinator signs "
                    "out one person at a time. Replacing SECRET_KEY without fallbacks ends every "
                    "session at once (SESS-10's tests show a cookie from another key is refused)."),
    "SESS-10": t(APP, "test_production_refuses_a_missing_or_weak_secret_key")
    + t(S_AUTH, "test_a_session_from_one_instance_works_on_another")
    + t(PRODLIKE, "test_sess_10_a_session_from_one_instance_is_valid_on_the_other"),

    # --- B.5 Access control and multi-tenant isolation ----------------------------------------
    "AUTHZ-01": t(PERMISSIONS, "test_every_view_declares_an_access_rule")
    + t(JOIN_ACCESS, "test_role_by_endpoint_matrix",
        "test_the_matrix_covers_every_endpoint_of_joining")
    + t(POLICY_ACCESS, "test_the_matrix_covers_every_policy_endpoint",
        "test_role_by_endpoint_matrix")
    + t(PEOPLE, "test_the_matrix_covers_every_people_endpoint"),
    "AUTHZ-02": t(JOIN_ACCESS, "test_people_of_b_get_404_for_every_id_of_a",
                  "test_own_organisation_with_a_child_id_of_a_finds_nothing",
                  "test_the_sweep_reaches_every_kind_of_id")
    + t(S_ACCESS, "test_every_id_in_a_url_is_swept_for_other_organisations",
        "test_training_records_are_only_their_owners")
    + t(SIGNPOSTING, "test_coordinators_see_any_card_and_other_employers_see_nothing"),
    "AUTHZ-03": t(CHAMPIONS, "test_a_site_of_another_organisation_cannot_be_chosen")
    + t(TRAINING, "test_answers_from_another_question_are_refused")
    + t(JOIN_ACCESS, "test_own_organisation_with_a_child_id_of_a_finds_nothing")
    + t(FUZZ, "test_any_input_to_any_form_is_handled"),  # invariant: sites stay in their org
    "AUTHZ-04": t(JOIN_ACCESS, "test_role_by_endpoint_matrix")
    + t(COORDINATOR, "test_coordinator_pages_are_not_found_for_everybody_else")
    + t(CHAMPIONS, "test_extra_fields_cannot_change_role_organisation_or_status",
        "test_hr_leads_invite_hr_leads")
    + t(ORGS, "test_hr_leads_cannot_be_withdrawn_as_champions")
    + t(PEOPLE, "test_only_coordinators_reach_people_pages"),
    "AUTHZ-05": t(JOINING, "test_extra_fields_are_ignored")
    + t(ORGS, "test_extra_fields_cannot_change_status_or_dates")
    + t(CHAMPIONS, "test_extra_fields_cannot_change_role_organisation_or_status")
    + t(INVITATIONS, "test_extra_fields_are_ignored_when_accepting")
    + t(FILES, "test_extra_form_fields_are_ignored")
    + t(TRAINING, "test_forged_score_fields_are_ignored")
    + t(FUZZ, "test_any_input_to_any_form_is_handled"),  # extra fields on every form
    "AUTHZ-06": t(TRAINING, "test_other_peoples_attempts_and_certificates_are_404",
                  "test_completing_every_module_earns_a_certificate")
    + t(S_ACCESS, "test_training_records_are_only_their_owners"),
    "AUTHZ-07": t(JOIN_ACCESS, "test_unknown_ids_look_the_same_as_other_organisations_ids")
    + t(S_ACCESS, "test_no_existence_oracle_for_anybody",
        "test_other_peoples_attempts_look_like_missing_ones"),
    "AUTHZ-08": Partly(
        t(MONITORING, "test_everybody_but_coordinators_gets_not_found",
          "test_figures_export_carries_the_same_protected_figures",
          "test_champions_export_needs_the_password_again_and_is_audited")
        + t(S_PAGES, "test_hr_leads_never_see_scores_answers_or_attempts"),
        not_covered="HR leads have no export to try another organisation's id on: every export "
                    "is a coordinator's (the champions template CSV is a fixed file); their "
                    "pages take the organisation from the URL, swept by AUTHZ-02."),
    "AUTHZ-09": t(S_ACCESS, "test_organisation_helpers_never_return_another_organisations_rows"),
    "AUTHZ-10": t(COORD_SECURITY, "test_authz_10_cross_organisation_requests_are_audited",
                  "test_authz_10_role_and_coordinator_refusals_are_audited",
                  "test_authz_10_nested_ids_of_another_organisation_are_audited",
                  "test_authz_10_repeats_cannot_flood_the_audit_trail",
                  "test_authz_10_a_refusal_commits_nothing_else"),

    # --- B.6 Input handling, output encoding, CSRF, redirects ---------------------------------
    "XSS-01": t(MARKDOWN, "test_payload_is_inert_when_rendered",
                "test_payload_is_inert_in_every_part_of_a_module",
                "test_links_keep_safe_urls_and_gain_rel_and_govuk_class"),
    "XSS-02": t(MARKDOWN, "test_any_markdown_renders_inert", "test_any_markdown_lines_render_inert",
                "test_input_over_100_kb_is_refused_with_a_clear_message",
                "test_pathological_input_is_refused_before_rendering"),
    "XSS-03": t(ESCAPING, "test_every_page_escapes_names",
                "test_every_email_is_plain_text_with_names_as_typed")
    + t(JOINING, "test_html_and_formula_characters_are_escaped_on_pages_and_plain_in_email")
    + t(CHAMPIONS, "test_names_are_escaped_on_the_list_and_plain_in_the_email")
    + t(POLICY, "test_evidence_and_names_are_escaped_everywhere"),
    "XSS-04": Partly(
        t(SUPPORT, "test_search_words_are_escaped_in_the_page")
        + t(S_PAGES, "test_query_parameters_are_never_reflected_unescaped"),
        not_covered="The periodic wapiti3 scan of a running server is a manual step, not part "
                    "of the suite: wapiti3 needs its own virtualenv (old pinned dependencies, "
                    "SECURITY.md Appendix E). The sweep sends a payload in every parameter a "
                    "page reads, on every page, as three kinds of user."),
    "CSV-01": t(EXPORTS, "test_neutralise",
                "test_chunks_start_with_a_byte_order_mark_and_quote_properly",
                "test_the_champion_export_neutralises_everything_people_can_type")
    + t(MONITORING, "test_hostile_names_are_neutralised_in_every_export")
    + t(PRIVACY, "test_csv_cells_never_start_a_formula",  # subject access CSV files
        "test_csv_01_a_formula_in_the_subject_access_export_is_neutralised")
    + t(FILES, "test_each_kind_of_bad_row_has_a_reason"),  # formulas refused on the way in
    "SQL-01": Partly(
        t(SUPPORT_SERVICE, "test_like_wildcards_and_quotes_are_not_interpreted")
        + t(S_INPUT, "test_sql_text_is_never_built_from_variables",
            "test_search_and_filter_parameters_never_break_a_query")
        + t(FUZZ, "test_any_input_to_any_form_is_handled"),
        not_covered="sqlmap against a running server is a manual step (its own tool and "
                    "server, SECURITY.md Appendix E); bandit's B608 runs with the static "
                    "checks of CONF-09."),
    "XSS-05": t(TEMPLATES_SAFE, "test_every_safe_filter_is_on_the_allow_list",
                "test_no_other_way_of_switching_escaping_off_in_templates",
                "test_every_markup_call_in_python_is_on_the_allow_list",
                "test_the_allow_lists_have_no_stale_entries",
                "test_autoescaping_is_on_for_every_html_template")
    + t(S_CONFIG, "test_the_static_security_checks_find_nothing_unreviewed"),
    "CSRF-01": t(S_CSRF, "test_every_post_refuses_a_bad_token_and_changes_nothing",
                 "test_the_sweep_covers_every_route_that_accepts_a_post")
    + t(S_PAGES, "test_viewing_pages_changes_nothing")
    + t(MAIN, "test_get_requests_never_change_data")
    + t(AUTH, "test_sign_in_without_a_csrf_token_is_rejected")
    + t(PEOPLE, "test_export_needs_a_csrf_token"),
    "CSRF-02": t(S_PAGES, "test_csrf_tokens_never_appear_in_urls")
    + t(S_PRIVACY, "test_logs_hold_no_passwords_tokens_cookies_or_addresses"),
    "REDIR-01": t(AUTH, "test_next_never_leaves_the_site",
                  "test_next_to_one_of_our_pages_is_followed")
    + t(S_INPUT, "test_next_after_the_exit_explanation_never_leaves_the_site",
        "test_any_next_accepted_is_an_on_site_route"),
    "REDIR-02": t(MAIN, "test_exit_clears_everything_and_goes_to_the_fixed_destination",
                  "test_exit_destination_is_configurable"),
    "HDR-INJ-01": t(MAIL, "test_header_injection_is_refused")
    + t(CHAMPIONS, "test_bad_invitations_are_refused_with_a_reason")
    + t(S_INPUT, "test_an_invitation_reaches_exactly_one_recipient")
    + t(ESCAPING, "test_every_email_is_plain_text_with_names_as_typed"),
    "PARAM-01": t(PERMISSIONS, "test_every_id_in_a_url_is_typed")
    + t(S_INPUT, "test_odd_ids_in_paths_are_404_never_500",
        "test_repeated_and_odd_query_parameters_are_handled",
        "test_views_read_the_form_and_the_query_separately")
    + t(FUZZ, "test_any_input_to_any_form_is_handled"),  # repeated keys in every form
    "FUZZ-01": t(FUZZ, "test_any_input_to_any_form_is_handled")
    + t(S_INPUT, "test_a_nul_in_any_query_parameter_is_never_a_500",
        "test_a_nul_in_a_form_field_gets_400"),

    # --- B.7 Quiz and enrolment integrity -----------------------------------------------------
    "QUIZ-01": t(TRAINING, "test_quiz_page_never_contains_the_answers"),
    "QUIZ-02": t(TRAINING, "test_forged_score_fields_are_ignored"),
    "QUIZ-03": t(TRAINING, "test_answers_from_another_question_are_refused"),
    "QUIZ-04": t(TRAINING, "test_a_second_submission_returns_the_existing_result"),
    "QUIZ-05": t(TRAINING, "test_eight_simultaneous_submissions_make_one_result"),
    # Answers are saved only by submitting (no autosave), so the only stale page is one sent
    # after the attempt was submitted: it never changes the recorded result.
    "QUIZ-06": t(TRAINING, "test_a_second_submission_returns_the_existing_result"),
    "QUIZ-07": t(TRAINING, "test_simultaneous_starts_make_one_attempt",
                 "test_max_attempts_is_enforced",
                 "test_draw_and_order_are_stored_and_starting_again_resumes"),
    "QUIZ-08": Partly(
        t(TRAINING, "test_result_before_submitting_goes_back_to_the_quiz")
        + t(S_ACCESS, "test_other_peoples_attempts_look_like_missing_ones"),
        not_covered="There is no 'complete a module' request to forge (a completion is only "
                    "recorded by a passing submission) and modules have no required order "
                    "(COURSE_FORMAT.md lists them in order but locks none), so those two "
                    "parts of the row do not apply."),
    "QUIZ-09": NotApplicable(
        "Quizzes are not timed: COURSE_FORMAT.md has no time limit and the portal keeps no "
        "deadline for an attempt, so there is no timer to bypass. If a time limit is added, the "
        "server's clock must decide (this row then applies)."),
    "QUIZ-10": t(TRAINING, "test_other_peoples_attempts_and_certificates_are_404")
    + t(S_ACCESS, "test_training_records_are_only_their_owners"),
    "QUIZ-11": t(ASSIGNMENTS, "test_another_organisations_champions_cannot_be_assigned",
                 "test_bad_input_is_explained_and_kept",
                 "test_a_short_or_long_date_list_is_an_error_not_a_crash",
                 "test_other_organisations_and_champions_are_kept_out")
    + t(ASSIGNMENT_SERVICE, "test_hr_lead_assignments_skip_pending_ones_and_refuse_past_dates")
    + t(FILES, "test_a_bad_row_in_the_middle_rejects_the_whole_file"),  # bulk: all or nothing
    "QUIZ-12": t(TRAINING, "test_your_training_lists_courses_for_the_persons_role")
    + t(AUTH, "test_deactivated_people_are_signed_out_and_get_no_reset")
    + t(REMINDERS, "test_nobody_who_has_left_or_is_inactive_or_paused_gets_reminders")
    + t(ASSIGNMENT_SERVICE, "test_withdrawal_cancels_pending_assignments_only"),
    "QUIZ-13": t(TRAINING, "test_an_attempt_is_graded_on_the_version_it_started_on",
                 "test_version_bump_marks_only_that_module_for_refresher"),
    "QUIZ-14": t(MARKDOWN, "test_template_syntax_is_shown_literally",
                 "test_template_syntax_is_not_evaluated_when_inserted_into_jinja",
                 "test_payload_is_inert_in_every_part_of_a_module")
    + t(TRAINING, "test_module_page_shows_the_content_note_first_then_lesson_then_quiz")
    + t("tests/courses/test_gift.py", "test_import_gift_command_writes_blocks_or_nothing"),

    # --- B.8 Policy-document upload -----------------------------------------------------------
    "FILE-01": t(POLICY, "test_an_oversized_request_gets_the_friendly_413_page")
    + t(UPLOADS, "test_empty_and_oversized_files_are_rejected")
    + t(FILES, "test_an_oversized_upload_gets_the_friendly_413_page"),
    "FILE-02": t(UPLOADS, "test_genuine_documents_are_accepted",
                 "test_disguised_or_dangerous_types_are_rejected_with_a_reason",
                 "test_name_and_content_must_agree",
                 # Opened by a parser; active content refused.
                 "test_pdfs_with_markup_or_active_content_are_refused_with_a_reason",
                 "test_active_content_is_found_by_parsing_not_by_spelling",
                 "test_pdfs_that_do_not_parse_are_refused",
                 "test_a_pdf_that_needs_a_password_is_refused_but_restrictions_alone_are_not",
                 "test_macro_enabled_documents_are_refused_with_a_reason",
                 "test_a_macro_enabled_word_type_is_refused_even_under_a_docx_name",
                 "test_archives_that_do_not_read_through_are_refused",
                 "test_a_damaged_part_read_while_recognising_the_type_is_refused_not_a_crash")
    + t(POLICY, "test_unacceptable_files_are_refused_and_nothing_is_kept"),
    "FILE-03": t(UPLOADS, "test_display_names_are_cleaned",
                 "test_very_long_names_keep_their_extension_within_120_characters",
                 "test_store_writes_under_random_keys_and_deletes")
    + t(POLICY, "test_a_very_long_name_is_shortened_for_display"),
    "FILE-04": t(POLICY, "test_a_genuine_pdf_is_stored_privately_and_downloaded_as_an_attachment"),
    "FILE-05": t(POLICY, "test_another_organisations_document_is_404")
    + t(JOIN_ACCESS, "test_people_of_b_get_404_for_every_id_of_a"),
    "FILE-06": t(UPLOADS, "test_archive_bombs_are_rejected_from_the_directory_alone"),
    "FILE-07": t(UPLOADS, "test_scanner_answers_clean_or_infected",
                 "test_scanner_failures_fail_closed")
    + t(POLICY, "test_an_infected_file_is_refused_and_audited",
        "test_a_scanner_outage_refuses_the_upload"),
    "FILE-08": t(UPLOADS, "test_a_failed_write_leaves_no_partial_file")
    + t(POLICY, "test_a_storage_failure_is_a_clear_error_with_nothing_half_saved",
        "test_a_database_failure_removes_the_file_already_written"),

    # --- B.9 Headers, configuration, errors ---------------------------------------------------
    "CONF-01": t(S_PAGES, "test_every_page_sends_the_security_headers",
                 "test_every_error_response_sends_the_security_headers",
                 "test_static_files_are_nosniff_and_may_be_cached")
    + t(MAIN, "test_hsts_is_sent_in_production"),
    "CONF-02": t(APP, "test_production_refuses_a_missing_or_weak_secret_key",
                 "test_a_weak_secret_key_is_refused_with_how_to_make_a_good_one",
                 "test_keys_made_as_the_message_says_always_pass",
                 "test_production_refuses_to_start_without_a_database_url",
                 "test_production_starts_with_strong_settings")
    + t(S_CONFIG, "test_production_refuses_to_start_in_debug_mode",
        "test_production_refuses_to_start_without_trusted_hosts",
        "test_production_settings_are_the_safe_ones",
        "test_production_refuses_rate_limits_counted_per_process"),
    "CONF-03": t(MAIN, "test_unexpected_errors_show_a_reference_and_no_traceback",
                 "test_werkzeug_debugger_is_unreachable")
    + t(S_CONFIG, "test_a_crash_shows_a_reference_that_is_in_the_log",
        "test_production_refuses_to_start_in_debug_mode"),
    "CONF-04": Partly(
        t(S_CONFIG, "test_every_error_status_has_its_own_friendly_page",
          "test_a_crash_shows_a_reference_that_is_in_the_log")
        + t(MAIN, "test_error_pages_are_friendly")
        + t(S_AUTH, "test_security_control_failures_are_logged_as_events"),
        not_covered="400 (CSRF), 429, 500 and 503 are logged by the app with the request id, "
                    "and refusals of signed-in people are audited (AUTHZ-10); other 404s, 405 "
                    "and 413 are only in the web server's access log."),
    "CONF-05": t(S_CONFIG, "test_an_unknown_host_gets_400_on_every_kind_of_request")
    + t(AUTH, "test_reset_links_are_built_from_base_url_not_the_host_header"),
    "CONF-06": t(S_AUTH, "test_proxy_fix_trusts_exactly_the_configured_hops",
                 "test_behind_one_proxy_a_spoofed_forwarded_for_does_not_reset_the_count"),
    "CONF-07": t(S_CONFIG, "test_trace_is_refused_and_options_says_nothing")
    + t(MAIN, "test_error_pages_are_friendly"),
    "CONF-08": Partly(
        t(S_CONFIG, "test_nothing_outside_the_pages_and_assets_is_served")
        + t(MAIN, "test_error_pages_are_friendly"),
        not_covered="The Server banner is gunicorn's (or the reverse proxy's), not the app's: "
                    "the test checks the app adds none; trimming the banner is deployment "
                    "configuration."),
    "CONF-09": Partly(
        t(S_CONFIG, "test_the_static_security_checks_find_nothing_unreviewed")
        + t(TEMPLATES_SAFE, "test_every_markup_call_in_python_is_on_the_allow_list")
        + t(S_INPUT, "test_sql_text_is_never_built_from_variables"),
        not_covered="semgrep and detect-secrets are not run: semgrep's registry rules need "
                    "semgrep.dev (SECURITY.md Appendix E), so its local rules are written as "
                    "plain tests (SQL text, |safe and Markup allow-lists) instead."),
    "CONF-10": Partly(
        t(S_CONFIG, "test_dependencies_are_at_least_the_fixed_versions")
        + t(SUPPLY, "test_every_locked_package_is_an_exact_pin_with_hashes",
            "test_lock_satisfies_pyproject", "test_runtime_lock_is_the_test_lock_less_test_tools",
            "test_audit_fails_on_a_finding_and_on_an_unaudited_package",
            "test_audit_of_a_known_vulnerable_pin_fails"),
        not_covered="make installs only from the hashed locks and make sbom writes a CycloneDX "
                    "SBOM, but pip-audit cannot look anything up from these machines (PyPI's "
                    "per-release data is not served here): CI says AUDIT NOT RUN and the live "
                    "check skips. The first test holds the minimum versions with the known fixes."),

    # --- B.10 Logging and audit ---------------------------------------------------------------
    "LOG-01": Partly(
        t(S_AUTH, "test_each_authentication_event_is_one_audit_row")
        + t(AUTH, "test_failed_sign_ins_are_audited_without_the_address")
        + t(TWO_FACTOR, "test_auth_14_wrong_code_is_refused_and_audited",
            "test_reset_two_factor_clears_the_app_ends_sessions_and_is_audited"),
        not_covered="Client addresses are deliberately not stored in audit rows (privacy: the "
                    "failed sign-in test checks this); a throttle hit is a log event (LOG-02), "
                    "not an audit row."),
    "LOG-02": Partly(
        t(S_AUTH, "test_security_control_failures_are_logged_as_events")
        + t(S_CSRF, "test_every_post_refuses_a_bad_token_and_changes_nothing")
        + t(COORD_SECURITY, "test_authz_10_cross_organisation_requests_are_audited"),
        not_covered="Invalid or expired link tokens (reset, invitation, confirmation) show the "
                    "person a clear 400 page but are not logged as security events."),
    "LOG-03": t(S_PRIVACY, "test_logs_hold_no_passwords_tokens_cookies_or_addresses")
    + t(APP, "test_request_logs_never_contain_query_strings")
    + t(SUPPORT, "test_nothing_records_a_search"),
    "LOG-04": t(S_PRIVACY, "test_a_crafted_value_cannot_forge_a_log_line"),
    "LOG-05": NotApplicable(
        "Audit rows are deleted by the retention schedule after their period (PRIV-04, "
        "RETENTION['audit_event']), with the application's one database role, so an "
        "INSERT/SELECT-only grant on audit_event would break retention. Tamper resistance is a "
        "deployment control (a separate migration/retention role, shipping the JSON log to an "
        "append-only store) for the runbook, not something this repository can test."),
    "LOG-06": t(ORGS, "test_hr_leads_change_details_and_the_audit_names_only_the_fields",
                "test_sites_are_added_changed_and_removed",
                "test_withdrawing_a_champion_keeps_their_account_and_prompts_a_replacement")
    + t(CHAMPIONS, "test_inviting_a_champion_stores_a_hash_and_emails_a_neutral_link")
    + t(FILES, "test_a_good_file_invites_everyone_in_it")
    + t(COORDINATOR, "test_audit_trail_lists_who_did_what_and_records_the_viewing")
    + t(ORG_SERVICE, "test_approval_sets_the_dates_and_is_audited")
    + t(PEOPLE, "test_log_06_looking_at_a_person_is_audited", "test_priv_03_erasure_end_to_end")
    + t(SUPPORT_SERVICE, "test_adding_a_service_checks_it_and_audits")
    + t(POLICY, "test_verifying_is_audited_kept_in_the_history_and_leaves_the_queue"),

    # --- B.11 Privacy / UK GDPR behaviours ----------------------------------------------------
    "PRIV-01": t(REGISTRY, "test_priv_01_every_column_of_every_table_is_classified",
                 "test_priv_01_the_registry_names_only_real_columns",
                 "test_priv_01_each_personal_column_has_purpose_retention_and_handling"),
    "PRIV-02": t(PRIVACY, "test_priv_02_export_holds_every_registered_personal_column",
                 "test_priv_02_export_holds_nobody_elses_data",
                 "test_priv_02_csv_files_hold_the_same_rows_as_the_json",
                 "test_priv_02_export_is_readable")
    + t(PEOPLE, "test_priv_02_coordinator_downloads_the_subject_access_zip"),
    "PRIV-03": t(PRIVACY, "test_priv_03_erasure_handles_every_registered_column",
                 "test_priv_03_after_erasure_no_row_can_be_joined_back_to_the_person",
                 "test_priv_03_after_erasure_their_email_and_name_are_nowhere",
                 "test_priv_03_erasure_keeps_the_scheme_figures",
                 "test_priv_03_the_account_is_locked_and_the_audit_notes_only_the_fact",
                 "test_priv_03_erasure_leaves_the_coordinator_dashboard_unchanged",
                 "test_priv_03_a_serving_champion_is_withdrawn_before_erasure")
    + t(PEOPLE, "test_priv_03_erasure_end_to_end",
        "test_a_serving_champion_is_withdrawn_first_from_the_erasure_page")
    + t(REGISTRY, "test_priv_03_only_links_to_the_person_a_row_is_about_are_detached"),
    "PRIV-04": t(RETENTION, "test_priv_04_each_rule_acts_when_its_period_has_passed_and_only_once",
                 "test_priv_04_nothing_is_touched_before_its_time",
                 "test_priv_04_a_second_run_skips_while_another_holds_the_lock",
                 "test_priv_04_concurrent_runs_act_exactly_once"),
    "PRIV-05": t(S_PRIVACY, "test_no_text_box_outside_the_reviewed_few",
                 "test_no_template_for_learners_has_a_text_box",
                 "test_no_free_text_column_about_a_person_outside_the_reviewed_list")
    + t("tests/courses/test_curriculum.py",
        "TestEveryModule::test_no_questions_about_the_readers_own_experience"),
    "PRIV-06": t(S_PAGES, "test_hr_leads_never_see_scores_answers_or_attempts")
    + t(ASSIGNMENTS, "test_the_assignments_page_shows_statuses_not_scores"),
    "PRIV-07": t(DISCLOSURE,
                 "test_zero_is_shown_and_one_to_four_is_fewer_than_five_whatever_the_key",
                 "test_other_counts_are_a_multiple_of_five_at_most_four_away",
                 "test_the_same_records_always_give_the_same_figure")
    + t("tests/services/test_small_numbers_attack.py",
        "test_no_count_from_one_to_four_is_recovered_across_filters_and_measures")
    + t(MONITORING, "test_dashboard_shows_the_hand_worked_figures",
        "test_figures_export_carries_the_same_protected_figures"),
    "PRIV-08": t(S_PAGES, "test_no_page_loads_or_links_anything_from_elsewhere")
    + t(MAIN, "test_pages_use_no_inline_script_or_third_party_resources")
    + t(SUPPORT, "test_links_go_straight_to_the_service_with_no_tracking"),
    "PRIV-09": t(MAIN, "test_public_pages_render_with_the_exit_button",
                 "test_exit_clears_everything_and_goes_to_the_fixed_destination",
                 "test_exit_works_for_anonymous_visitors")
    + t(S_PAGES, "test_every_page_has_the_exit_button")
    + t(LAYOUT, "test_exit_this_page_leaves_and_kills_the_session",
        "test_exit_works_without_javascript"),
    "PRIV-10": t(S_PAGES, "test_every_page_title_is_neutral",
                 "test_download_file_names_are_neutral")
    + t(S_PRIVACY, "test_email_subjects_and_sender_are_neutral",
        "test_subjects_in_the_code_are_neutral_too")
    + t(PERMISSIONS, "test_sensitive_words_never_appear_in_paths"),
    "PRIV-11": t(S_PRIVACY, "test_emails_carry_no_tracking")
    + t(ESCAPING, "test_every_email_is_plain_text_with_names_as_typed")
    + t(MAIL, "test_message_is_sent_once_with_neutral_sender"),

    # --- B.12 Reliability ---------------------------------------------------------------------
    "REL-01": t(JOINING, "test_a_failure_part_way_leaves_nothing_behind")
    + t(REL, "test_a_quiz_submission_failing_at_the_certificate_leaves_nothing_half_done",
        "test_a_bulk_invitation_failing_part_way_invites_nobody")
    + t(POLICY, "test_a_database_failure_removes_the_file_already_written"),
    "REL-02": t(POLICY, "test_the_second_save_is_refused_with_its_input_kept_and_the_first_intact",
                "test_a_stale_update_is_refused_too",
                "test_simultaneous_saves_of_one_element_keep_exactly_one",
                "test_a_decision_on_evidence_changed_meanwhile_is_refused")
    + t(ORG_SERVICE, "test_a_status_changed_elsewhere_is_not_overwritten"),
    "REL-03": t(JOINING, "test_sending_twice_makes_one_application")
    + t(COORDINATOR, "test_approving_twice_sends_one_email")
    + t(CHAMPIONS, "test_inviting_the_same_person_twice_is_refused"),
    "REL-04": t(JOINING, "test_two_applications_from_one_new_address_at_once_make_one_account")
    + t(REL, "test_simultaneous_invitations_of_one_person_make_one")
    + t(TRAINING, "test_eight_simultaneous_submissions_make_one_result",
        "test_simultaneous_starts_make_one_attempt"),
    "REL-05": t(MAIL, "test_smtp_outage_loses_nothing_and_sends_once_after_recovery",
                "test_permanent_refusal_is_not_retried",
                "test_gives_up_after_the_maximum_attempts"),
    "REL-06": t(MAIL, "test_two_workers_racing_on_postgresql_never_send_a_message_twice",
                "test_a_crashed_claim_is_retried_after_the_timeout",
                "test_a_claim_takes_at_most_one_batch")
    + t(PRODLIKE, "test_rel_06_a_worker_killed_mid_batch_loses_no_email_and_sends_none_twice"),
    "REL-07": t(MAIL, "test_nothing_is_queued_when_the_change_rolls_back")
    + t(JOINING, "test_a_failure_part_way_leaves_nothing_behind")
    + t(REL, "test_a_bulk_invitation_failing_part_way_invites_nobody",
        "test_a_quiz_submission_failing_at_the_certificate_leaves_nothing_half_done"),
    "REL-08": t(MAIN, "test_readyz_is_503_when_the_database_is_unreachable",
                "test_pages_show_the_friendly_503_page_when_the_database_is_down",
                "test_signed_in_pages_show_the_friendly_503_page_when_the_database_goes_down",
                "test_database_errors_that_are_bugs_stay_500s_and_outages_are_503s")
    + t(CLI, "test_worker_waits_out_a_database_outage_instead_of_exiting")
    + t(PRODLIKE, "test_rel_08_postgresql_going_away_gives_503s_and_everything_recovers"),
    "REL-09": t(REL, "test_a_held_row_lock_gives_a_quick_503_not_a_hang",
                "test_sqlite_waits_for_writers_instead_of_failing"),
    "REL-10": t(REL, "test_no_request_talks_to_the_mail_server",
                "test_a_mail_server_that_hangs_delays_only_the_worker_and_loses_nothing"),
    "REL-11": t(MAIN, "test_health_checks", "test_readyz_is_503_when_the_schema_is_behind"),
    "REL-12": t(MIGRATIONS, "test_upgraded_database_matches_the_models",
                "test_newest_migration_downgrades_and_upgrades_again",
                "test_one_head_and_numbered_file_names")
    + t(MIGRATION_DATA, "test_upgrade_keeps_the_rows_it_finds",
        "test_newest_revision_down_and_up_keeps_the_rows"),
    "REL-13": Partly(
        t(REL, "test_migrations_can_run_under_the_live_application"),
        not_covered="Running the previous release's smoke tests against the new schema during "
                    "a rolling restart is not automated (no release artefacts are kept here); "
                    "the tables are small, so index creation needs no CONCURRENTLY."),
    "REL-14": Partly(
        t(REL, "test_an_online_sqlite_backup_taken_during_writes_restores_whole")
        + t(RESTORE, "test_dump_and_restore_into_a_fresh_database"),
        not_covered="Backup encryption, rotation within 35 days and the RPO/RTO figures belong "
                    "to the hosting set-up and its runbook, not to this repository."),
    "REL-15": t(RETENTION, "test_priv_04_a_second_run_skips_while_another_holds_the_lock",
                "test_priv_04_concurrent_runs_act_exactly_once")
    + t(MAIL, "test_two_workers_racing_on_postgresql_never_send_a_message_twice")
    + t(REMINDERS, "test_two_workers_sending_reminders_at_once_send_each_once",
        "test_the_daily_schedule_twice_and_on_two_workers_at_once_sends_each_once"),
    "REL-16": t(PRODLIKE, "test_rel_16_load_100_users_for_60_seconds"),
    "REL-17": t(MAIN, "test_oversized_requests_get_the_413_page")
    + t(REL, "test_oversized_forms_are_refused_before_anything_runs")
    + t(MARKDOWN, "test_input_over_100_kb_is_refused_with_a_clear_message")
    + t(FILES, "test_too_many_rows", "test_a_file_over_the_csv_limit")
    + t(AUDIT_LOG, "test_pagination_keeps_the_filters")
    + t(SUPPORT, "test_results_are_paged_and_links_keep_the_search"),
    "REL-18": t(REL, "test_reset_links_last_one_hour_across_the_clocks_going_forward",
                "test_sessions_and_invitations_across_the_clocks_going_back",
                "test_stored_times_are_utc_whatever_the_process_time_zone"),
}

MIN_REASON_WORDS = 12


def reference_parts(reference: str) -> tuple[Path, list[str]]:
    path, *names = reference.split("::")
    return ROOT / path, names


@cache
def defined_tests(path: Path) -> frozenset[str]:
    """Every test function in a file, and Class::method for test methods, read with ast."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(f"{node.name}::{item.name}" for item in node.body
                         if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef))
    return frozenset(n for n in names if n.split("::")[-1].startswith("test_"))


def references(entry: object) -> tuple[str, ...]:
    if isinstance(entry, Partly):
        return entry.tests
    if isinstance(entry, tuple):
        return entry
    return ()


def test_the_rows_are_the_specs_rows_once_each() -> None:
    assert len(ROWS) == len(set(ROWS)) == 117
    for row in ROWS:
        assert re.fullmatch(r"(AUTH|SESS|AUTHZ|XSS|CSV|SQL|CSRF|REDIR|HDR-INJ|PARAM|FUZZ|QUIZ|"
                            r"FILE|CONF|LOG|PRIV|REL)-\d\d", row), row


def test_every_row_is_mapped_and_nothing_else_is() -> None:
    """Acceptance 1: a row with no decision fails; so does a decision about no row."""
    assert set(ROWS) - set(MATRIX) == set(), "Map these rows in MATRIX"
    assert set(MATRIX) - set(ROWS) == set(), "These are not rows of SECURITY.md Part B"


@pytest.mark.parametrize("row", ROWS)
def test_every_referenced_test_exists(row: str) -> None:
    """An applicable row without a real test fails here."""
    entry = MATRIX[row]
    if isinstance(entry, NotApplicable):
        return
    tests = references(entry)
    assert tests, f"{row} has no tests"
    for reference in tests:
        path, names = reference_parts(reference)
        assert path.is_file(), f"{row}: no file {path.relative_to(ROOT)}"
        assert "[" not in reference, f"{row}: no parametrisation ids in {reference}"
        assert "::".join(names) in defined_tests(path), f"{row}: no test {reference}"


@pytest.mark.parametrize("row", ROWS)
def test_every_reason_says_something(row: str) -> None:
    entry = MATRIX[row]
    reason = entry.reason if isinstance(entry, NotApplicable) else \
        entry.not_covered if isinstance(entry, Partly) else None
    if reason is not None:
        assert len(reason.split()) >= MIN_REASON_WORDS, f"{row}: give a specific reason"
        assert not re.search(r"\b(TODO|TBD|n/?a|later)\b", reason, re.I), row
