"""The load that bench/http.py drives, one target per locust run.

(In a folder of its own: locust puts the locustfile's folder on sys.path, and
bench/http.py there would hide the standard library's `http`.)

BENCH_TARGET names the figure (healthz, login_page, roll_call_32, roll_call_80,
tap); BENCH_PLAN is a JSON file bench/http.py writes: the URLs, a signed-in
session per simulated user and the children to tap. Each simulated user
requests its target back to back, with no think time.
"""

import http.cookiejar
import itertools
import json
import os
import secrets
from urllib.parse import urlparse

from locust import FastHttpUser, constant, task

PLAN = json.loads(open(os.environ["BENCH_PLAN"], encoding="utf-8").read())
TARGET = os.environ["BENCH_TARGET"]
_user_numbers = itertools.count()


class Visitor(FastHttpUser):
    wait_time = constant(0)
    # One connection per simulated user, as a browser keeps one open.
    concurrency = 1

    def on_start(self):
        self.number = next(_user_numbers)
        self.tap_state = itertools.cycle(["present", "late"])
        if TARGET in ("healthz", "login_page"):
            return  # anonymous, as a load balancer and a visitor are
        # Signed in: a session bench/http.py made for this user, and a CSRF
        # token of our own (Django checks that the header matches the cookie).
        self.csrf_token = secrets.token_hex(16)
        host = urlparse(self.host).hostname
        for name, value in (
            ("sessionid", PLAN["sessions"][self.number % len(PLAN["sessions"])]),
            ("csrftoken", self.csrf_token),
        ):
            self.client.cookiejar.set_cookie(http.cookiejar.Cookie(
                0, name, value, None, False, host, False, False, "/", True, False,
                None, False, None, None, {},
            ))  # fmt: skip

    @task
    def target(self):
        if TARGET == "healthz":
            self._expect_200("GET", "/healthz/")
        elif TARGET == "login_page":
            self._expect_200("GET", "/login/")
        elif TARGET in ("roll_call_32", "roll_call_80"):
            self._expect_200("GET", PLAN[TARGET])
        elif TARGET == "tap":
            # Each user taps its own child: present, late, present, ...
            url = PLAN["taps"][self.number % len(PLAN["taps"])]
            self._expect_200(
                "POST",
                url,
                data={"status": next(self.tap_state)},
                headers={"X-CSRFToken": self.csrf_token, "HX-Request": "true"},
            )

    def _expect_200(self, method, url, **kwargs):
        """Anything but 200 (a redirect to the login page, a refusal) is a failure:
        bench/http.py refuses to report figures that include failures."""
        with self.client.request(
            method, url, name=TARGET, allow_redirects=False, catch_response=True, **kwargs
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
