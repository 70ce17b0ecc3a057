"""The standard instrument shipped with the app, version 1, as data.

Demographics (department, shift, home province, the child's age and sex) are
on the roster already and are not asked again. Never edit V1: a new wording
is a V2 list and a migration that adds it.
"""

NOT_USED = ["not_used", "我的孩子没有参加", "My child did not take part"]

V1 = [
    ("carer_summer", "choice", "暑假期间，白天主要由谁照看您的孩子？",
     "In the summer, who mainly looks after your child during the day?",
     [["parents", "我或配偶", "Me or my partner"],
      ["grandparents", "祖父母或外祖父母", "Grandparents"],
      ["relatives", "其他亲戚或邻居", "Other relatives or neighbours"],
      ["space", "儿童之家或托管班", "The child-friendly space or a day-care"],
      ["alone", "没有人，孩子自己在家", "Nobody: the child stays alone"],
      ["no_child_here", "孩子暑假不在我身边", "My child is not with me in the summer"]]),
    ("hours_alone", "number", "暑假期间，孩子每周大约有多少小时身边没有大人？",
     "In the summer, about how many hours a week is your child without an adult?",
     [0, 112]),
    ("satisfied_space", "choice", "您对厂里的儿童之家满意吗？",
     "How satisfied are you with the factory's child-friendly space?",
     [["very_satisfied", "非常满意", "Very satisfied"],
      ["satisfied", "满意", "Satisfied"],
      ["neutral", "一般", "Neither"],
      ["dissatisfied", "不满意", "Dissatisfied"],
      NOT_USED]),
    ("space_safe", "choice", "您觉得孩子在儿童之家安全吗？",
     "Do you feel your child is safe in the space?",
     [["yes", "安全", "Yes"], ["no", "不安全", "No"], ["dont_know", "不知道", "I do not know"],
      NOT_USED]),
    ("teachers_professional", "choice", "您觉得儿童之家的老师专业吗？",
     "Do you find the space's teachers professional?",
     [["yes", "专业", "Yes"], ["no", "不专业", "No"], ["dont_know", "不知道", "I do not know"],
      NOT_USED]),
    ("trust_management", "choice", "您信任工厂的管理层吗？",
     "Do you trust the factory's management?",
     [["absolutely", "完全信任", "Absolutely"], ["mostly", "比较信任", "Mostly"],
      ["little", "不太信任", "A little"], ["not_at_all", "不信任", "Not at all"]]),
    ("stay_two_years", "choice", "您打算在这家工厂继续工作两年或更久吗？",
     "Do you plan to keep working at this factory for two years or more?",
     [["yes", "打算", "Yes"], ["no", "不打算", "No"], ["not_sure", "还不确定", "Not sure"]]),
    ("satisfied_factory", "choice", "总的来说，您对这家工厂满意吗？",
     "Overall, how satisfied are you with this factory?",
     [["very_satisfied", "非常满意", "Very satisfied"], ["satisfied", "满意", "Satisfied"],
      ["neutral", "一般", "Neither"], ["dissatisfied", "不满意", "Dissatisfied"]]),
]  # fmt: skip


def create_v1(Instrument, Question):  # noqa: N803 - model classes, real or historical
    """Version 1 with its questions, unless it is there already; returns it."""
    instrument, _created = Instrument.objects.get_or_create(
        code="standard",
        version=1,
        defaults={"title_zh": "儿童之家工人问卷", "title_en": "Child-friendly space worker survey"},
    )
    for order, (key, kind, text_zh, text_en, options) in enumerate(V1):
        Question.objects.get_or_create(
            instrument=instrument,
            key=key,
            defaults={"kind": kind, "text_zh": text_zh, "text_en": text_en,
                      "options": options, "order": order},
        )  # fmt: skip
    return instrument
