"""A customer's answers as timeline entries: each response, dated, with its channel and answers in words."""
from __future__ import annotations

from sqlalchemy import text

from custarchive.errors import ConfigError
from custarchive.surveys import questionnaire

CHANNEL_LABELS = {"mail": ("邮寄", "mail"), "phone": ("电话", "phone"), "onsite": ("现场", "on site"),
                  "online": ("网上", "online")}


def timeline_entries(conn, card: dict, lang: str) -> list[dict]:
    """One entry per response of this archive, oldest first; answers shown as their option labels."""
    responses = conn.execute(text("SELECT id, survey, responded_on, channel, created_by FROM survey_responses "
                                  "WHERE customer_id = :c ORDER BY responded_on, id"), {"c": card["id"]}).all()
    if not responses:
        return []
    answers: dict[int, list] = {}
    for rid, question, choice, number, value in conn.execute(text(
            "SELECT response_id, question, choice, number, text FROM survey_answers WHERE customer_id = :c "
            "ORDER BY response_id, question, item"), {"c": card["id"]}):
        answers.setdefault(rid, []).append((question, choice, number, value))
    loaded: dict[str, questionnaire.Questionnaire | None] = {}
    entries = []
    for rid, survey, day, channel, by in responses:
        if survey not in loaded:
            try:
                loaded[survey] = questionnaire.load(survey)
            except ConfigError:  # the questionnaire file was removed since: the answers still show, by id
                loaded[survey] = None
        q = loaded[survey]
        parts: dict[str, list[str]] = {}
        for question_id, choice, number, value in answers.get(rid, []):
            question = q.questions.get(question_id) if q else None
            label = f"Q{question.number}" if question else question_id
            if choice is not None:
                shown = question.choice_label(choice, lang) if question else choice
            elif number is not None:
                shown = f"{number:g}"
            else:
                shown = value
            parts.setdefault(label, []).append(shown)
        title = q.title(lang) if q else survey
        how = CHANNEL_LABELS.get(channel, (channel, channel))[0 if lang == "zh" else 1]
        body = f"{title}({how}): " + "; ".join(f"{label} {'、'.join(values)}" for label, values in parts.items())
        entries.append({"id": None, "entry_type": "survey", "at": day, "body": body, "survey": survey,
                        "channel": channel, "response_id": rid, "created_by": by, "follow_up": None,
                        "follow_up_done_at": None, "state": None, "resolution": None, "resolved_by": None,
                        "resolved_at": None})
    return entries
