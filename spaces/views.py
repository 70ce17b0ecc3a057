from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from .models import Group, Season, TeacherAssignment


@login_required
def season_detail(request: HttpRequest, season_id: int) -> HttpResponse:
    season = get_object_or_404(
        Season.objects.visible_to(request.user).with_counts().select_related("factory"),
        pk=season_id,
    )
    today = timezone.localdate()
    groups = (
        Group.objects.visible_to(request.user)
        .filter(season=season)
        .with_roll_call_status(today)
        .select_related("space", "lead_teacher")
    )
    roster = (
        TeacherAssignment.objects.visible_to(request.user)
        .filter(season=season)
        .select_related("teacher", "group")
        .order_by("teacher__name")
    )
    return render(
        request,
        "spaces/season_detail.html",
        {
            "season": season,
            "groups": groups,
            "roster": roster,
            "today": today,
            "opening_days": season.opening_days(),
        },
    )
