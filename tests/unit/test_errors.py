"""Errors speak English to machines and the reader's language to people.

A :class:`~c3p.errors.C3PError` keeps its message apart from its parameters: the API's
``detail`` and the CLI say it in English, the portal in the page's language.
"""

from __future__ import annotations

import datetime as dt

import pytest

from c3p.accounts.rules import passwords
from c3p.accounts.rules.policy import Actor, Grant, Target, decide
from c3p.accounts.rules.tasks import AccountFacts, tasks_for
from c3p.catalogs import language_of, translate
from c3p.credits.rules.blocks import Block, take
from c3p.credits.rules.holding_accounts import check_status_change, check_usable
from c3p.errors import C3PError, Conflict, Forbidden, InvalidInput, NotFound
from c3p.messages import N_, Message, listing
from c3p.workflow.rules import calls


def test_an_error_made_from_a_message_keeps_its_english_detail_and_translates() -> None:
    error = NotFound(Message(N_("no resource at %(path)s"), {"path": "/nowhere"}), field="path")
    assert error.detail == str(error) == "no resource at /nowhere"
    assert error.problem("/nowhere")["detail"] == "no resource at /nowhere"
    assert error.extra == {"field": "path"}
    assert translate(error.message, "ja") == "/nowhere にはページもデータもありません"
    assert translate(error.message, "en") == error.detail


def test_a_plain_text_error_stays_english_and_says_so() -> None:
    error = Conflict("a check only developers read")
    assert error.message == Message("a check only developers read")
    assert translate(error.message, "ja") == error.detail
    assert language_of(error.message, "ja") == "en"
    assert language_of(Message(N_("The two passwords differ.")), "ja") == "ja"


def test_titles_are_translated_where_they_are_shown() -> None:
    assert Forbidden.title == "Not permitted"
    assert translate(Forbidden.title, "ja") == "許可されていません"


def test_a_listing_uses_each_languages_separator() -> None:
    either = listing([Message(N_("the record's owner")), "registry_administrator"], "or")
    assert str(either) == "the record's owner or registry_administrator"
    assert translate(either, "ja") == "レコードの所有者 または registry_administrator"


def test_a_policy_refusal_reads_in_japanese_with_the_action_and_the_scope() -> None:
    registrar = Actor(7, "mori@example.org", (Grant("registry_administrator", "country", "JPN"),))
    refusal = decide(registrar, "credits.account.update", Target.of(country="VNM"))
    assert refusal.reason == (
        "You may not suspend, reopen or close an account (credits.account.update) here: "
        "your role Registry administrator for country JPN does not cover country VNM."
    )
    assert translate(refusal.message, "ja") == (
        "ここでは口座の停止・再開・閉鎖（credits.account.update）はできません。"
        "あなたのロール JPNの登録簿管理者 は VNM を対象としていません。"
    )
    public = decide(Actor.public(), "credits.transfer")
    assert translate(public.message, "ja") == "口座からのクレジットの移転（credits.transfer）にはサインインが必要です。"


@pytest.mark.parametrize(
    ("refuse", "english", "japanese"),
    [
        (
            lambda: check_status_change("JPN-P-000012", "open", "closed", 40),
            "account JPN-P-000012 still holds 40 credits; transfer them before closing it",
            "口座 JPN-P-000012 にはまだ40クレジットがあります。閉鎖する前に移転してください。",
        ),
        (
            lambda: check_status_change("JPN-P-000012", "closed", "open", 0),
            "account JPN-P-000012 is closed and cannot become open",
            "口座 JPN-P-000012 は閉鎖済みのため、開設中にはできません。",
        ),
        (
            lambda: check_usable("JPN-R-000003", "open", "retirement", sending=False),
            "account JPN-R-000003 is a retirement account and cannot receive transfers",
            "口座 JPN-R-000003 は償却口座のため、移転先にはできません。",
        ),
        (
            lambda: take([Block("JPN", 1, 5, 1, 1)], 7),
            "the account holds only 5 of the 7 credits asked for",
            "口座が保有するクレジットは、求められた7のうち5だけです。",
        ),
    ],
)
def test_registry_refusals_read_in_japanese_with_their_values(refuse, english: str, japanese: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises((Conflict, InvalidInput)) as refused:
        refuse()
    error: C3PError = refused.value
    assert error.detail == english
    assert translate(error.message, "ja") == japanese


def test_workflow_rules_refuse_with_messages_that_read_in_japanese() -> None:
    with pytest.raises(calls.IllegalTransition) as refused:
        calls.check_transition("application", calls.APPLICATION_TRANSITIONS, "withdrawn", "submitted")
    assert str(refused.value) == "An application cannot go from Withdrawn to Submitted (Withdrawn is final)."
    assert translate(refused.value.message, "ja") == (
        "応募の状態は「取り下げ」から「提出済み」に変更できません（「取り下げ」は最終の状態です）。"
    )
    closes = dt.datetime(2026, 4, 25, 8, 0, tzinfo=dt.UTC)
    rules = calls.CallRules(fiscal_year=2026, opens_at=closes - dt.timedelta(days=30), closes_at=closes)
    late = calls.submission_refusal(closes + dt.timedelta(hours=1), "open", rules)
    assert late is not None
    assert (
        translate(late, "ja") == "公募は2026-04-25 17:00（日本時間）に締め切られました。締切後の提出は受け付けません。"
    )
    facts = calls.ApplicationFacts(proposer_kind="company", title="Solar", plan_years=2)
    missing = listing(calls.missing_parts(facts, rules))
    assert str(missing).startswith("a summary; an implementation plan; a budget for every plan year (2 years)")
    assert translate(missing, "ja").startswith("概要、実施計画、計画の各年度の予算（2年分）")


def test_a_refused_password_names_every_rule_in_japanese() -> None:
    with pytest.raises(InvalidInput) as refused:
        passwords.check("tanaka", "tanaka@city.example.jp")
    assert refused.value.detail == (
        "Password not accepted: use at least 12 characters; do not use your e-mail address in your password."
    )
    assert translate(refused.value.message, "ja") == (
        "このパスワードは使えません（12文字以上にすること、メールアドレスをパスワードに含めないこと）。"
    )


def test_my_tasks_read_in_japanese() -> None:
    admin = Actor(1, "admin@example.org", (Grant("administrator"),))
    tasks = tasks_for(admin, AccountFacts(totp_enabled=False, organization_slug=None, users_without_roles=3))
    assert [translate(task.title, "ja") for task in tasks] == [
        "2段階認証を設定",
        "新しいユーザーにロールを付与する",
    ]
    assert translate(tasks[1].detail, "ja") == "ロールをまだ持たないユーザーが3人います。"
