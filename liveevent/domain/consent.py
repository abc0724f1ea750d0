"""The applicant's separate consent to give their details to the employer (PIPL Art. 23).

Theory of operation: an application's details go from the organiser (the fair, the first
handler) to another handler, the employer. China's Personal Information Protection Law,
Article 23, requires the person's *separate* consent for that, given after being told the
recipient's name and contact, the purpose, how the data will be processed, and what kinds of
data are shared. The apply form shows ``consent_text`` for the job's employer next to an
unticked box; the application then carries ``consent: true``, the ``consent_version`` of the
text shown and ``consent_to``, the employer it named (``domain.applications``).

An employer sees an applicant's phone number and name in full only when ``covers`` holds:
the applicant ticked the box, under a version of the text that tells all four things
(``VERSIONS``), naming this very employer. Anything else (no consent, consent under the text
used before issue 16, which named no contact and no processing, or consent naming another
employer) shows it masked. Staff (the organiser, who collected the data) see it in full, as
before.

The same text is in ``static/i18n/{zh-CN,en}.js`` (``consent.*``) and in ``docs/privacy.md``;
a test holds the three together. A change of wording is a new version: the stored version
then still says which text each applicant agreed to.
"""

from __future__ import annotations

from liveevent.domain.employers import employer_key

# The current text's version (sent by the form, stored with each application).
CURRENT_VERSION = "pipl23-1"

# Every version whose text tells the four things of Art. 23 (older ones do not).
VERSIONS: frozenset[str] = frozenset({CURRENT_VERSION})

# {employer}, {contact}: the recipient. In both languages; zh-CN is what the form shows first.
TEXTS: dict[str, dict[str, str]] = {
    CURRENT_VERSION: {
        "zh-CN": (
            "我单独同意：主办方把我的姓名、手机号和所报岗位（个人信息种类）提供给"
            "{employer}（接收方，联系方式：{contact}），用于该单位就这个岗位联系我、"
            "安排面试和录用（处理目的）；该单位通过电话或短信联系我，"
            "在本场招聘会的系统中查看我的报名并记录招聘进展（处理方式）。"
            "我可以随时联系主办方或该单位撤回同意。"
        ),
        "en": (
            "I separately consent to the organiser giving my name, phone number and the job I "
            "apply for (kinds of data) to {employer} (the recipient; contact: {contact}), so "
            "that it can contact me about this job, arrange interviews and hire (purpose). It "
            "will call or text me, and view my application and record its progress in this "
            "fair's system (how the data is processed). I may withdraw this consent at any "
            "time by contacting the organiser or the employer."
        ),
    },
}

# When staff gave no contact for an employer, the consent names the organiser's desk.
NO_CONTACT = {"zh-CN": "请经本场招聘会主办方联系", "en": "through this fair's organiser"}


def consent_text(
    lang: str, *, employer: str, contact: str | None, version: str = CURRENT_VERSION
) -> str:
    """The consent as the form shows it, in ``lang`` (``zh-CN`` or ``en``), naming
    ``employer`` and its ``contact`` (``NO_CONTACT`` when None).

    Raises ``KeyError`` for an unknown version or language.
    """
    template = TEXTS[version][lang]
    return template.format(employer=employer, contact=contact or NO_CONTACT[lang])


def covers(
    *, consent: bool | None, version: str | None, consent_to: str | None, employer: str
) -> bool:
    """Whether an application's consent lets ``employer`` see the applicant's details in
    full: ``consent`` true, under a version in ``VERSIONS``, naming this employer (compared
    by ``employer_key``). Raises nothing."""
    return (
        consent is True
        and version in VERSIONS
        and consent_to is not None
        and employer_key(consent_to) == employer_key(employer)
    )
