"""Advice that could put someone at risk stays out of the curriculum, the model policy and the
directory (issue 20, "Harmful or wrong, fix first"). Each test pins one item of that list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from portal.courses import Module, Question, load_catalogue
from tests.courses.test_curriculum import quiz_text, sentences, text_of

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE, _ = load_catalogue(ROOT / "courses")
MODULES = [m for c in CATALOGUE.courses for m in c.modules]
BY_ID = {m.id: m for m in MODULES}
POLICY = (ROOT / "portal" / "data" / "model-policy" / "v1.md").read_text(encoding="utf-8")
DIRECTORY_FILE = ROOT / "portal" / "data" / "support-services.yaml"
DIRECTORY = {e["key"]: e for e in yaml.safe_load(DIRECTORY_FILE.read_text())["services"]}

WOMENS_HELPLINE = "National Domestic Abuse Helpline"
A_MAN = re.compile(r"\b(a man|men|male|he|his|him)\b", re.IGNORECASE)
SAYS_IT_IS_FOR_WOMEN = re.compile(r"\b(women|woman|she|her|not)\b", re.IGNORECASE)


def flat(text: str) -> str:
    """One line of plain text, with the space that stripping tags leaves before a colon removed."""
    return " ".join(text.split()).replace(" :", ":")


def all_text(module: Module) -> str:
    return flat(text_of(module.body_html) + " " + quiz_text(module))


def every_file_text() -> dict[str, str]:
    files = sorted((ROOT / "courses").glob("*/*.md")) + [
        ROOT / "portal" / "data" / "model-policy" / "v1.md", DIRECTORY_FILE]
    return {str(path.relative_to(ROOT)): flat(path.read_text(encoding="utf-8")) for path in files}


def correct_answers(question: Question) -> list[str]:
    return [flat(text_of(a.text_html)) for a in question.answers if a.correct]


def question_about(module: Module, words: str) -> Question:
    found = [q for q in module.questions if words in flat(text_of(q.prompt_html))]
    assert len(found) == 1, f"{module.id}: expected one question about {words!r}"
    return found[0]


# --- Men are never sent to the women's helpline -----------------------------------------------

@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.id)
def test_no_keyed_answer_sends_a_man_to_the_womens_helpline(module: Module) -> None:
    for question in module.questions:
        if A_MAN.search(text_of(question.prompt_html)):
            for answer in correct_answers(question):
                assert WOMENS_HELPLINE not in answer, question.line


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.id)
def test_the_lesson_never_offers_the_womens_helpline_to_men(module: Module) -> None:
    for sentence in sentences(module.body_html):
        if WOMENS_HELPLINE in sentence and A_MAN.search(sentence):
            assert SAYS_IT_IS_FOR_WOMEN.search(sentence), sentence


def test_signposting_says_who_each_helpline_is_for() -> None:
    text = all_text(BY_ID["signposting"])
    assert "Refuge runs it for women" in text
    assert "The National Domestic Abuse Helpline is for women, so do not send him there." in text
    assert "is a good starting point" not in text.replace(
        "For a woman, the National Domestic Abuse Helpline is a good starting point", "")


# --- The "Get support now" box ------------------------------------------------------------

@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.id)
def test_support_box_lists_a_line_for_women_men_and_lgbt_people(module: Module) -> None:
    box = flat(text_of(module.body_html.split("Get support now", 1)[1].split("<h2", 1)[0]))
    assert "Women: the National Domestic Abuse Helpline, 0808 2000 247" in box
    assert "Men: the Men's Advice Line, 0808 801 0327" in box
    assert "LGBT+ people: Galop's National LGBT+ Domestic Abuse Helpline, 0800 999 5428" in box
    assert "Pressing 55 does not tell the police where you are." in box


def test_model_policy_says_55_does_not_give_a_location() -> None:
    assert "Pressing 55 does not tell the police where you are." in flat(POLICY)


# --- RASASC is regional; the Rape Crisis 24/7 Support Line covers England and Wales ------------

@pytest.mark.parametrize("name", list(every_file_text()))
def test_rasasc_is_never_called_national(name: str) -> None:
    # Any "national ... line" next to RASASC, unless the same sentence says it is regional (the
    # directory's source note records that the seed wrongly called it national).
    text = every_file_text()[name]
    for sentence in re.split(r"(?<=[.!?])\s+|\n", text):
        if "RASASC" in sentence and "regional" not in sentence.lower():
            assert not re.search(r"national (phone )?line", sentence, re.IGNORECASE), sentence


def test_directory_lists_rasasc_for_the_city_region_and_the_rape_crisis_line_nationally() -> None:
    rasasc = DIRECTORY["rasasc"]
    assert "national" not in rasasc["boroughs"] and "Regional" in rasasc["phone_note"]
    rape_crisis = DIRECTORY["rape-crisis-24-7-support-line"]
    assert rape_crisis["boroughs"] == ["national"] and rape_crisis["open_24_hours"] is True
    assert "England and Wales" in rape_crisis["summary"]


@pytest.mark.parametrize("module_id", ["signposting", "other-forms-of-abuse"])
def test_sexual_violence_signposting_gives_the_24_7_line_for_england_and_wales(
        module_id: str) -> None:
    text = all_text(BY_ID[module_id])
    assert "Rape Crisis 24/7 Support Line" in text and "England and Wales" in text
    assert "regional" in text


# --- No unverifiable number in a crisis list ----------------------------------------------

@pytest.mark.parametrize("name", list(every_file_text()))
def test_the_unverified_worst_kept_secret_number_is_gone(name: str) -> None:
    text = every_file_text()[name]
    assert "Worst Kept Secret" not in text and "0800 028 3398" not in text


# --- Nothing sent to a personal phone before checking it is safe ----------------------------

def test_keyed_reply_to_a_message_at_night_checks_it_is_safe_to_message() -> None:
    question = question_about(BY_ID["looking-after-yourself"], "messages your personal phone")
    [keyed] = correct_answers(question)
    assert "Is it safe to message you about this?" in keyed
    assert not re.search(r"\d{4} \d{3,4} \d{3,4}", keyed)  # no helpline number sent unasked
    wrong = [flat(text_of(a.text_html)) for a in question.answers if not a.correct]
    assert any("0808 2000 247" in answer for answer in wrong)


# --- Consent first; no automatic report to the police ----------------------------------------

def test_model_policy_shares_only_with_agreement_apart_from_stated_exceptions() -> None:
    text = flat(POLICY)
    assert "We will share information only with your agreement." in text
    assert "and we will tell you first" not in text
    section = text.split("## 9.", 1)[1].split("## 10.", 1)[0]
    for exception in ("someone's life is in immediate danger",
                      "a child, or an adult at risk, may be harmed", "the law requires it"):
        assert exception in section


@pytest.mark.parametrize("name", ["policy", "hr-04"])
def test_a_crime_at_work_is_discussed_with_the_victim_before_any_report(name: str) -> None:
    text = flat(POLICY) if name == "policy" else all_text(BY_ID["responding-as-a-manager"])
    assert "report it to the police." not in text
    assert not re.search(r"crime happens at work, (we will )?report", text)
    at_work = text.split("crime happens at work", 1)[1][:400]
    assert re.search(r"first talk with the (person harmed|victim) and plan for (their|her) safety",
                     at_work)
    assert "the law requires it" in at_work


def test_module_09_is_consent_first_with_the_stated_exceptions() -> None:
    text = all_text(BY_ID["when-the-abuser-is-a-colleague"])
    assert "Whatever the route, the steps are the same." not in text
    assert "Consent first, with clear exceptions" in text
    for exception in ("someone is at risk of harm at work", "other people may be at risk",
                      "a child, or an adult at risk, may be harmed",
                      "the abuser is misusing work systems"):
        assert exception in text


# --- Data protection: the Schedule 1 safeguarding condition --------------------------------

def test_module_07_gives_the_dpa_2018_safeguarding_condition() -> None:
    module = BY_ID["confidentiality-and-boundaries"]
    text = all_text(module)
    assert "vital interests" in text
    assert "Schedule 1" in text and "safeguarding of children and of individuals at risk" in text
    assert any("legislation.gov.uk/ukpga/2018/12/schedule/1" in s for s in module.sources)


# --- Sickness is not taken away ------------------------------------------------------------

@pytest.mark.parametrize("name", ["policy", "writing-your-policy", "responding-as-a-manager"])
def test_genuine_illness_is_still_sickness_but_never_an_attendance_trigger(name: str) -> None:
    text = flat(POLICY) if name == "policy" else all_text(BY_ID[name])
    assert not re.search(r"not (as )?sickness", text)
    assert "sick pay" in text and "trigger" in text


# --- Wrong facts -------------------------------------------------------------------------

WRONG_FACTS = [
    "2019/20", "81 were women", "90%", "37%", "7 and 12", "7 to 12", "18 Jobcentres",
    "information for men", "includes information for men",
]


@pytest.mark.parametrize("name", list(every_file_text()))
def test_the_wrong_facts_are_gone(name: str) -> None:
    text = every_file_text()[name]
    for fact in WRONG_FACTS:
        assert fact not in text, fact


def test_safe2speak_main_number_is_not_listed_as_24_hours() -> None:
    assert DIRECTORY["safe2speak-st-helens"]["open_24_hours"] is False


def test_homicide_figure_is_the_ons_one_for_the_year_ending_march_2021() -> None:
    text = all_text(BY_ID["what-domestic-abuse-is"])
    assert "There were 114 domestic homicides in the year ending March 2021." in text
    assert any("ons.gov.uk" in s and "yearendingmarch2021" in s
               for s in BY_ID["what-domestic-abuse-is"].sources)


def test_the_directory_page_with_no_results_offers_each_helpline_to_the_right_people(
        client) -> None:  # noqa: ANN001 - the Flask test client fixture
    html = client.get("/support?q=zzzznothingmatches").get_data(as_text=True)
    assert "No services match" in html
    assert "For women, the National Domestic Abuse Helpline" in html
    assert "For men, the Men&#39;s Advice Line" in html or "For men, the Men's Advice Line" in html
    assert "tel:08088010327" in html and "tel:08009995428" in html


# --- The missing topics are taught and quizzed (issue 20) ----------------------------------

# topic: (phrases the lesson must contain, a phrase a question or its answers must contain)
TOPICS = {
    "protection orders": (("non-molestation order", "stalking protection order"),
                          "non-molestation order"),
    "new protection notices and orders": (("Domestic abuse protection notices and orders",),
                                          "a notice that bans him"),
    "refuges and sanctuary schemes": (("refuge", "sanctuary scheme"), "sanctuary scheme"),
    "migrant victims": (("no recourse to public funds",
                         "Migrant Victims of Domestic Abuse Concession"),
                        "no recourse to public funds"),
    "suicide risk": (("suicide", "Samaritans"), "ending her life"),
    "the Record step": (("Recognise, Respond, Refer and Record", "factual record"),
                        "factual record"),
    "a subject access request": (("subject access request",), "subject access request"),
    "the LADO": (("Local Authority Designated Officer (LADO)",), "LADO"),
    "employer law": (("time off for dependants", "Northern Ireland"), "Northern Ireland"),
    "the Equality Act 2010": (("Equality Act 2010", "reasonable adjustments",
                               "Indirect discrimination", "does not apply in Northern Ireland"),
                              "reasonable adjustments"),
    "flexible working from the first day": (("flexible working from their first day",),
                                            "from her first day"),
    "tech and economic abuse": (("economic abuse", "Coerced debt", "Shared location",
                                 "Do not touch her devices"), "account only she controls"),
    "abuse in 16- and 17-year-olds' relationships": (
        ("aged 16 or over", "a child in safeguarding law"), "you cannot keep it secret because "
        "he is under 18"),
    "child-to-parent abuse": (("child-to-parent abuse", "If the child is under 16"),
                              "14-year-old son"),
}


def question_and_answers(question: Question) -> str:
    parts = [question.prompt_html] + [a.text_html + " " + a.feedback_html for a in question.answers]
    return flat(text_of(" ".join(parts))).lower()


@pytest.mark.parametrize("topic", list(TOPICS))
def test_each_missing_topic_is_taught_and_quizzed(topic: str) -> None:
    lesson_phrases, quiz_phrase = TOPICS[topic]
    taught = [m for m in MODULES if all(
        phrase.lower() in flat(text_of(m.body_html)).lower() for phrase in lesson_phrases)]
    assert taught, topic
    assert any(quiz_phrase.lower() in question_and_answers(q) for m in taught
               for q in m.questions), topic


# --- Jargon is explained where it is first used ---------------------------------------------

JARGON = {
    "safeguarding": "Safeguarding means",
    "signpost": "Signposting means",
    "capability process": "A capability process is",
    "non-molestation order": "a family court order that stops someone molesting",
    "special category data": "That is the law's name for",
}


@pytest.mark.parametrize("term", list(JARGON))
def test_jargon_is_explained_in_the_module_that_first_uses_it(term: str) -> None:
    ordered = [m for c in CATALOGUE.courses for m in c.modules]
    first = next(m for m in ordered if term in flat(text_of(m.body_html)).lower())
    assert JARGON[term] in flat(text_of(first.body_html)), first.id


@pytest.mark.parametrize("gap", [
    "Our safeguarding lead", "Outside office hours", "salary advance", "emergency accommodation",
    "relocation", "References and addresses", "Colleagues who witness an incident",
    "criminal offence data", "safeguarding children and individuals at risk",
])
def test_model_policy_covers_the_gaps_the_review_found(gap: str) -> None:
    assert gap in flat(POLICY)
