"""Demo data: every demo teacher has their safeguarding checks on file, so the
demo roll calls can be taken; the last teacher of each factory's record check
expires within the month (the compliance table and the reminder show it)."""

from __future__ import annotations

import datetime

from factories.demo import DemoSite, step
from spaces.models import ConductPolicy

from .models import ConductSignature, RecordCheck, TrainingRecord, years_after


@step(45)
def safeguarding_checks(site: DemoSite) -> None:
    policy = ConductPolicy.objects.current()
    trained_on = site.today - datetime.timedelta(days=60)
    checked_on = site.today - datetime.timedelta(days=200)
    soon = years_after(site.today + datetime.timedelta(days=20), -3)
    teachers = list(site.teachers)
    TrainingRecord.objects.bulk_create(
        TrainingRecord(
            teacher=t, course="儿童保护基础课程", completed_on=trained_on, trainer="项目培训师"
        )
        for t in teachers
    )
    RecordCheck.objects.bulk_create(
        RecordCheck(
            teacher=t,
            checked_on=soon if t is teachers[-1] else checked_on,
            checked_by="辖区派出所",
            result=RecordCheck.Result.CLEAR,
            reference=f"WFZ-{site.factory.code}-{t.pk}",
        )
        for t in teachers
    )
    if policy is not None:
        ConductSignature.objects.bulk_create(
            ConductSignature(teacher=t, policy=policy, typed_name=t.name, language="zh-hans")
            for t in teachers
        )
