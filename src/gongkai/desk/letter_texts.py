"""The letters' texts, as data: one template per letter kind and one answer paragraph per table 三 outcome.

Templates use ``string.Template`` fields ($name). A paragraph that starts with "?" is optional: it is
left out when any field it names is empty (e.g. the handler line when no handler is recorded); every
other paragraph must be filled completely, or rendering fails.

Article numbers are those of 《中华人民共和国政府信息公开条例》 (2019 revision). The outcome → article
mapping follows the project spec's table for table 三's rows, which is itself marked unconfirmed as
official guidance; where no article clearly applies (不予处理5, 其他处理3) the letter names the
regulation without an article rather than guessing one.
"""

from __future__ import annotations

from dataclasses import dataclass

LAW = "《中华人民共和国政府信息公开条例》"
FEE_RULES = "《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）"

CORRECTION_PERIOD_DAYS = (
    15  # the "reasonable period" to correct when the handler gives none (Art. 30 sets no number)
)
CONSULT_DAYS = 15  # Arts. 32, 34: the consulted party answers within 15 working days of receiving the letter

REMEDY = (
    "如对本答复不服，可以自收到本答复之日起60日内${review_to}申请行政复议，"
    "或者自收到本答复之日起6个月内${court_to}提起行政诉讼。"
)


@dataclass(frozen=True, slots=True)
class LetterText:
    addressee: str  # the salutation line, e.g. "$applicant："
    body: tuple[str, ...]  # paragraphs


LETTER_TEXTS: dict[str, LetterText] = {
    "registered": LetterText(
        "$applicant：",
        (
            "本机关于$received收到${you}${channel}提交的政府信息公开申请"
            "（收到申请之日依$law第三十一条按$receipt_rule确定），登记编号为$number。申请内容：“$request”。",
            "?所需信息：$info。",
            "?申请人身份证明：$identity。",
            "?联系方式：$contact。",
            "?所需信息的形式要求：$form；获取方式：$delivery。",
            "根据$law第三十三条的规定，本机关将自收到申请之日起20个工作日内予以答复，答复期限截止于$due。"
            "需要延长答复期限的，本机关将另行告知，延长的期限最长不超过20个工作日。",
            "申请内容需要补正的，答复期限自本机关收到补正的申请之日起计算；"
            "征求第三方或者其他机关意见所需时间不计算在答复期限内。",
            "特此回执。",
            "?经办人：$handler",
        ),
    ),
    "correction_sent": LetterText(
        "$applicant：",
        (
            "本机关于$received收到${you}提交的政府信息公开申请（登记编号：$number），申请内容：“$request”。",
            "经审查，${you}的申请内容不明确。根据$law第三十条的规定，现一次性告知${you}作出补正，"
            "需要补正的事项如下：$what",
            "?本告知书依$law第三十条于收到申请之日起7个工作日内（$notice_due前）发出。",
            "请${you}自收到本告知书之日起${days}个工作日内向本机关提交补正后的申请。"
            "答复期限自本机关收到补正的申请之日起重新计算。"
            "${you}无正当理由逾期不补正的，视为放弃申请，本机关不再处理该政府信息公开申请。",
            "特此告知。",
            "?经办人：$handler",
        ),
    ),
    "consult_sent": LetterText(
        "$party：",
        (
            "本机关于$received收到一份政府信息公开申请（登记编号：$number），申请公开：“$request”。"
            "经审查，该信息的公开可能损害贵方的合法权益。",
            "根据$law第三十二条的规定，现书面征求贵方意见。请贵方自收到本函之日起${consult_days}个工作日内"
            "书面提出是否同意公开的意见（以本函发出之日计算，至$reply_by），不同意公开的，请说明理由。",
            "贵方逾期未提出意见的，本机关将依照$law的规定决定是否公开；"
            "贵方不同意公开且有合理理由的，本机关不予公开。本机关认为不公开可能对公共利益造成重大影响的，"
            "可以决定予以公开，并将决定公开的政府信息内容和理由书面告知贵方。",
            "特此函询。",
            "?经办人：$handler",
        ),
    ),
    # Art. 34: the information was made jointly with another agency, which is consulted instead.
    "consult_sent+agency": LetterText(
        "$party：",
        (
            "本机关于$received收到一份政府信息公开申请（登记编号：$number），申请公开：“$request”。"
            "该信息由本机关与贵机关共同制作。",
            "根据$law第三十四条的规定，现征求贵机关意见。请贵机关自收到本函之日起${consult_days}个工作日内"
            "提出意见（以本函发出之日计算，至$reply_by）。逾期未提出意见的，视为同意公开。",
            "特此函询。",
            "?经办人：$handler",
        ),
    ),
    "extension_approved": LetterText(
        "$applicant：",
        (
            "本机关于$received收到${you}提交的政府信息公开申请（登记编号：$number），申请内容：“$request”。",
            "?$history",
            "?延期理由：$reason",
            "因本机关不能在原定答复期限（$due_before）内作出答复，根据$law第三十三条的规定，"
            "经政府信息公开工作机构负责人同意，答复期限延长${days}个工作日，本机关最迟于$due作出答复。",
            "?$consulting",
            "特此告知。",
            "?经办人：$handler",
        ),
    ),
    "fee_notice_sent": LetterText(
        "$applicant：",
        (
            "本机关于$received收到${you}提交的政府信息公开申请（登记编号：$number），申请内容：“$request”。",
            "${you}申请公开政府信息的数量、频次明显超过合理范围。根据$law第四十二条和$fee_rules的规定，"
            "本机关对该申请收取信息处理费，计收方式为${method}计收，应缴金额为人民币${amount}元。",
            "?计费依据：$fee_basis",
            "请${you}自收到本通知次日起20个工作日内缴纳（$pay_due）。$pay_how",
            "${you}逾期未缴纳的，视为放弃申请，本机关不再处理该政府信息公开申请。",
            "特此通知。",
            "?经办人：$handler",
        ),
    ),
    "answered": LetterText(
        "$applicant：",
        (
            "本机关于$received收到${you}${channel}提交的政府信息公开申请（登记编号：$number），"
            "申请内容：“$request”。",
            "?$history",
            "经审查，现答复如下：",
            "$answer",
            "?$detail",
            "?按${you}申请时的要求，本答复以$delivery方式送达（$contact）；予以提供的政府信息以$form形式提供。",
            REMEDY,
            "?经办人：$handler",
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class Answer:
    basis: str  # the articles, as cited after the regulation's name ("" = no article named)
    text: str  # the answer paragraph; $by = "根据《条例》第…条的规定" (or the article-less form)
    defaults: tuple[tuple[str, str], ...] = ()  # fields the answer event's data may give, and their default


_DENY = "，本机关决定不予公开。"
PROVIDE = "现随本答复书一并提供。"

ANSWERS: dict[str, Answer] = {
    "granted": Answer(
        "第三十六条第（二）项",
        "${you}申请获取的政府信息属于可以公开的政府信息。$by，本机关予以公开，$provide",
        (("provide", PROVIDE),),
    ),
    # Art. 36(1): already proactively disclosed — say where it is (event data "where").
    "granted+published": Answer(
        "第三十六条第（一）项",
        "${you}申请获取的政府信息已经主动公开。$by，现告知${you}获取该政府信息的方式、途径：$where。",
    ),
    "partial": Answer(
        "第三十七条",
        "${you}申请获取的信息中含有不应当公开的内容，但能够作区分处理。$by，本机关向${you}提供可以公开的"
        "政府信息内容，$provide对不予公开的部分，理由如下：$reason。",
        (("provide", PROVIDE), ("reason", "该部分内容属于依法不予公开的情形")),
    ),
    "denied.secret": Answer(
        "第十四条、第三十六条第（三）项",
        "${you}申请获取的信息属于依法确定为国家秘密的政府信息。$by" + _DENY,
    ),
    "denied.law": Answer(
        "第十四条、第三十六条第（三）项",
        "${you}申请获取的信息属于法律、行政法规禁止公开的政府信息。$by" + _DENY,
    ),
    "denied.safety": Answer(
        "第十四条、第三十六条第（三）项",
        "${you}申请获取的信息公开后可能危及国家安全、公共安全、经济安全、社会稳定。$by" + _DENY,
    ),
    "denied.third_party": Answer(
        "第十五条、第三十六条第（三）项",
        "${you}申请获取的信息涉及商业秘密、个人隐私等，公开会对第三方合法权益造成损害。$by" + _DENY,
    ),
    "denied.internal": Answer(
        "第十六条、第三十六条第（三）项",
        "${you}申请获取的信息属于行政机关的内部事务信息（人事管理、后勤管理、内部工作流程等）。$by" + _DENY,
    ),
    "denied.process": Answer(
        "第十六条、第三十六条第（三）项",
        "${you}申请获取的信息属于行政机关在履行行政管理职能过程中形成的讨论记录、过程稿、磋商信函、"
        "请示报告等过程性信息。$by" + _DENY,
    ),
    "denied.enforcement": Answer(
        "第十六条、第三十六条第（三）项",
        "${you}申请获取的信息属于行政执法案卷信息。$by" + _DENY,
    ),
    "denied.query": Answer(
        "第三十六条第（七）项",
        "${you}申请获取的信息属于有关法律、行政法规对信息的获取有特别规定的行政查询事项。$by，"
        "请${you}依照有关法律、行政法规的规定办理。",
    ),
    "unable.no_info": Answer(
        "第三十六条第（四）项",
        "经检索，本机关没有${you}申请公开的政府信息。$by，现告知${you}该政府信息不存在。",
    ),
    # Art. 36(5): not this agency's to disclose — name the one that is (event data "responsible").
    "unable.no_info+elsewhere": Answer(
        "第三十六条第（五）项",
        "${you}申请公开的信息不属于本机关负责公开。$by，现告知${you}：负责公开该政府信息的行政机关为"
        "$responsible。",
    ),
    "unable.needs_creation": Answer(
        "第三十八条",
        "${you}申请获取的信息本机关没有现成信息，需要对现有政府信息进行加工、分析或者另行制作。$by，"
        "本机关不予提供。",
    ),
    "unable.unclear": Answer(
        "第三十条",
        "$correction_history，补正后申请内容仍不明确，本机关无法确定${you}所需的政府信息。$by，"
        "本机关无法提供。",
    ),
    "rejected.petition": Answer(
        "第三十九条",
        "${you}以政府信息公开申请的形式进行信访、投诉、举报等活动。$by，本机关不作为政府信息公开申请"
        "处理，${you}可以通过信访、投诉、举报等相应渠道提出。",
    ),
    "rejected.duplicate": Answer(
        "第三十六条第（六）项",
        "本机关已就${you}提出的政府信息公开申请作出答复，${you}重复申请公开相同政府信息。$by，"
        "本机关不予重复处理。",
    ),
    "rejected.publication": Answer(
        "第三十九条",
        "${you}申请获取的是政府公报、报刊、书籍等公开出版物。$by，现告知${you}获取的途径：$where。",
        (("where", "公开发行渠道"),),
    ),
    "rejected.excessive": Answer(
        "第三十五条",
        "${you}申请公开政府信息的数量、频次明显超过合理范围，经本机关要求说明理由，本机关认为申请理由不合理。"
        "$by，本机关不予处理。",
    ),
    "rejected.confirmation": Answer(
        "",
        "${you}的申请系要求本机关确认或者重新出具${you}已获取的信息，不属于政府信息公开申请所指向的"
        "政府信息。$by，本机关不予处理。",
    ),
    "other.no_correction": Answer(
        "第三十条",
        "$correction_history，${you}无正当理由逾期未补正，视为放弃申请。$by，本机关不再处理该政府信息"
        "公开申请。",
    ),
    "other.no_fee": Answer(
        "第四十二条",
        "$fee_history，${you}逾期未按缴费通知要求缴纳费用，视为放弃申请。根据$law第四十二条和$fee_rules的规定，"
        "本机关不再处理该政府信息公开申请。",
    ),
    "other.other": Answer(
        "",
        "$by，本机关对${you}的申请作如下处理：$reason。",
        (("reason", "该申请不属于上述各项情形，本机关已依法作出处理"),),
    ),
}

# Variants picked by the answer event's data: outcome → ((data field, answer key), ...).
ANSWER_VARIANTS: dict[str, tuple[tuple[str, str], ...]] = {
    "granted": (("where", "granted+published"),),
    "unable.no_info": (("responsible", "unable.no_info+elsewhere"),),
}

# How the application came in, as a phrase before "提交" (the channels of Art. 31).
CHANNEL_PHRASES: dict[str, str] = {
    "in_person": "当面",
    "mail_signed": "以邮寄方式",
    "mail_plain": "以平常信函方式",
    "online": "通过互联网渠道",
    "fax": "以传真方式",
}

# Art. 29: what an application must describe — the default of what a 补正 asks for.
CORRECTION_WHAT = "请写明所需政府信息的名称、文号或者便于本机关查询的其他特征性描述。"

# 信息处理费 tiers (国办函〔2020〕109号), shown as the basis of the amount.
FEE_BASIS = {
    "pages": "按量计收，本次提供的信息共${pages}页：30页以内（含）免费，31至100页每页10元，"
    "101至200页每页20元，201页以上每页40元。",
    "nth": "按件计收，本申请为${you}在同一自然月内提出的第${nth}件申请：每月10件以内（含）免费，"
    "11至30件每件100元，31件以上每10件为一档，每档每件收费标准提高100元。",
}

# Earlier steps an answer recounts ($history), one clause per event kind.
HISTORY = {
    "correction_received": "${you}于$date提交了补正材料，答复期限自该日起计算",
    "consult_sent": "本机关于$date书面征求了$consulted的意见，征求意见所需时间不计算在答复期限内",
    "extension_approved": "本机关于$date告知${you}延长答复期限${days}个工作日",
    "fee_paid": "${you}于$date缴纳了信息处理费",
}
CORRECTION_HISTORY = ("本机关已于$date向${you}发出补正申请告知书$doc", "本机关已一次性告知${you}作出补正")
FEE_HISTORY = (
    "本机关已于$date向${you}发出信息处理费缴费通知书$doc",
    "本机关已向${you}发出信息处理费缴费通知书",
)
CALENDAR_GAP = "${year}年节假日安排公布后另行确定的日期"
