"""Settings for ccrcsr, read from the environment.

Every deploy-time value comes from an environment variable (README lists them
all). A `.env` file in the project root is read first if it exists; `make`
writes one with development values so a fresh clone runs. Production sets
real variables and has no `.env`: then SECRET_KEY is required and the secure
defaults below apply.
"""

import copy
import datetime
import ipaddress
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")


def _url_setting(name: str, default: str, schemes: set[str]) -> str:
    """Read a URL variable, refusing one whose scheme we cannot use."""
    value = env.str(name, default=default).strip()
    scheme, sep, _rest = value.partition("://")
    if not sep or scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name} is not a valid URL ({value!r}); expected one of: "
            + ", ".join(f"{s}://..." for s in sorted(schemes))
        )
    return value


DEBUG = env.bool("DEBUG", default=False)
DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if len(SECRET_KEY) < 50 or DEV_SECRET_KEY in SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to at least 50 random characters when DEBUG is off"
        )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "axes",
    "csp",
    "factories",
    "spaces",
    "enrollment",
    "attendance",
    "impact",
    "reports",
    "pickups",
    "parents",
    "safeguarding",
    "notifications",
]

MIDDLEWARE = [
    # First: /healthz/ and /readyz/ answer before sessions, logins, CSRF and the
    # HTTPS redirect (a load balancer probes by IP over plain HTTP).
    "ccrcsr.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compresses HTML and JSON; Django pads each response with random bytes so
    # the compressed length does not leak secrets (BREACH). Static files are
    # served compressed by WhiteNoise before this runs.
    "django.middleware.gzip.GZipMiddleware",
    # Outside the sessions: marks each signed-in answer with its user and
    # session, for the roll call's service worker (attendance/middleware.py).
    "attendance.middleware.PhoneKeyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "factories.middleware.UserLanguageMiddleware",
    "ccrcsr.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Outside the session limits and the views: sees their redirects to log in.
    "factories.middleware.BackToTheFormMiddleware",
    "factories.middleware.SessionLimitsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Reads the body before the CSRF check does (process_view runs after every
    # middleware's call), so its 400 page still gets all the headers above.
    "ccrcsr.middleware.UnreadableRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout into our page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ccrcsr.urls"
# Large enough that an absurdly long field gets a message on its form instead
# of a bare "400 Bad Request"; uploads are limited separately.
DATA_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024
WSGI_APPLICATION = "ccrcsr.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "factories.context_processors.memberships",
            ],
        },
    },
    {
        # Only the roll call's row (attendance/rows.py), rendered once per child:
        # Jinja2 compiles it to Python, several times faster than the above.
        # Its files end in .jinja and are always asked for with using="jinja2".
        "NAME": "jinja2",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"keep_trailing_newline": True},
    },
]

# SQLite in the project by default, so a fresh clone runs with nothing installed.
_database_url = _url_setting(
    "DATABASE_URL",
    default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}",
    schemes={"sqlite", "postgres", "postgresql", "pgsql"},
)
try:
    DATABASES = {"default": env.db_url_config(_database_url)}
except Exception as exc:  # environ raises several kinds for a malformed URL
    raise ImproperlyConfigured(f"DATABASE_URL could not be parsed: {exc}") from exc
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Each web process keeps its database connection for a minute, checked before
# reuse: a new PostgreSQL connection per request (a server process forked, its
# catalogue caches cold) cost more than a roll-call page's queries (bench/http.py).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATA_DIR.mkdir(exist_ok=True)
    # Several processes (web, worker, beat) share the file: wait for the lock
    # instead of failing at once.
    # IMMEDIATE: a transaction takes the write lock when it begins, so two taps
    # wait for each other; a deferred one that read first fails at once with
    # "database is locked" when it tries to write.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    # A file, not memory, so a Celery worker started by a test sees the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
# PgBouncer in transaction mode (DATABASE_POOLER=transaction): each transaction
# may run on a different server connection, so nothing may outlive one. Django's
# only such habit is the server-side cursor behind .iterator() (a cursor declared
# WITH HOLD in one transaction and fetched in the next): turn it off, and .iterator()
# reads its rows in chunks from the client side. tests/test_pooler.py fails if a
# query holds a named cursor, a session-level advisory lock, SET, LISTEN or PREPARE.
DATABASE_POOLER = env.str("DATABASE_POOLER", default="")
if DATABASE_POOLER not in ("", "transaction"):
    raise ImproperlyConfigured(
        f"DATABASE_POOLER must be empty or 'transaction', not {DATABASE_POOLER!r}"
    )
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = DATABASE_POOLER == "transaction"
# What needs a session of its own goes to the "direct" alias, PostgreSQL without
# the pooler: the test database's creation and removal (tests/conftest.py).
# (Migrations run in a process whose DATABASE_URL is the direct one: data
# migrations use the default alias.) Without DIRECT_DATABASE_URL it is the default's twin.
_direct_url = _url_setting(
    "DIRECT_DATABASE_URL",
    default=_database_url,
    schemes={"sqlite", "postgres", "postgresql", "pgsql"},
)
try:
    DATABASES["direct"] = (
        copy.deepcopy(DATABASES["default"])
        if _direct_url == _database_url
        else env.db_url_config(_direct_url)
    )
except Exception as exc:  # environ raises several kinds for a malformed URL
    raise ImproperlyConfigured(f"DIRECT_DATABASE_URL could not be parsed: {exc}") from exc
DATABASES["direct"].update(
    CONN_MAX_AGE=0,
    DISABLE_SERVER_SIDE_CURSORS=False,
    # One database reached two ways: tests give both the same test database.
    TEST={**DATABASES["default"].get("TEST", {}), "MIRROR": "default"},
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A deployment of exactly one web process may silence ccrcsr.E001 (a per-process cache).
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])
# The proxies (addresses or networks) whose X-Forwarded-For is believed: the
# HTTPS proxy or load balancer in front of the web nodes. Empty: REMOTE_ADDR is
# the client (nothing in front, or a proxy that overwrites REMOTE_ADDR).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_proxy!r} is not an IP address or network"
        ) from None

# The cache counts public-form submissions per client. Several web processes
# must share it: set CACHE_URL=redis://... in production.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# Sessions are read from that shared cache (the database keeps a copy, so a
# cache restart logs nobody out). A per-process memory cache would serve a
# logged-out session to the other processes: then sessions stay in the database.
# Only Redis: an erasure must reach every session, and of the shared caches
# only Redis can list the ones it holds (ccrcsr/sessions.py).
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if CACHES["default"]["BACKEND"].endswith("RedisCache")
    else "django.contrib.sessions.backends.db"
)

AUTH_USER_MODEL = "factories.User"
AUTHENTICATION_BACKENDS = [
    # Counts failed logins and refuses a locked-out account before checking it.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lock an account at one address after 5 failures, for 30 minutes; an admin
# lifts it early in the admin ("Access attempts") or with `manage.py axes_reset`, a
# coordinator for their factories' people on the factory page (factories/lockouts.py).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Failures are counted per client address as ccrcsr/throttle.py reads it behind
# the proxies (and in the database, which every web process shares).
AXES_CLIENT_IP_CALLABLE = "ccrcsr.throttle.client_address"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "factories:home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    # Django's, plus: never the username or a part of the email inside the password.
    {"NAME": "factories.passwords.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Chinese first: most users read Chinese, and a browser asking for English gets English.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=DATA_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing

# Months after a season closes before its children's data is anonymised.
RETENTION_MONTHS = env.int("RETENTION_MONTHS", default=12)

# Smallest number of people a published figure may rest on (surveys, report
# cards, the report's breakdowns shown to managers); smaller cells show "<5".
MIN_CELL = env.int("MIN_CELL", default=5)

# Minutes a safeguarding concern may wait for its lead's acknowledgement before
# the other leads are told; days before a record check expires that its
# teacher and coordinators are reminded (once).
SAFEGUARDING_ACK_MINUTES = env.int("SAFEGUARDING_ACK_MINUTES", default=60)
RECORD_CHECK_REMIND_DAYS = env.int("RECORD_CHECK_REMIND_DAYS", default=30)

# How many days back a teacher may still correct a roll call (coordinators: any day).
ROLL_CALL_TEACHER_DAYS_BACK = env.int("ROLL_CALL_TEACHER_DAYS_BACK", default=3)
# Days the ids of applied roll-call taps are kept (a phone's queue sent twice is applied once).
ROLL_CALL_TAP_DAYS = env.int("ROLL_CALL_TAP_DAYS", default=30)
# Taps one user may send: far above a teacher's hand (about one a second) and
# above a whole group's day sent at once after an outage (an 80-child group:
# about 170 taps, over a minute); beyond, the phone keeps the taps and resends.
ROLL_CALL_TAPS_PER_MINUTE = env.int("ROLL_CALL_TAPS_PER_MINUTE", default=120)
# A phone's queue sent in one request (the batch): at most this many a minute.
ROLL_CALL_BATCHES_PER_MINUTE = env.int("ROLL_CALL_BATCHES_PER_MINUTE", default=10)
ROLL_CALL_TAPS_PER_HOUR = env.int("ROLL_CALL_TAPS_PER_HOUR", default=1200)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: by default mails are written as files under .data/mail, where a
# developer can read them; production sets EMAIL_URL (smtp://user:pass@host:587).
_email_url = env.str("EMAIL_URL", default="")
if _email_url:
    vars().update(env.email_url_config(_email_url))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=DATA_DIR / "mail")
# Seconds an SMTP operation may block a worker (a hung mail server).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="儿童之家 <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The parent channel (parents.channels): which backend sends each channel.
# `file` writes each message under .data/messages/ (the default, for `make run`);
# production names `alibaba` or `tencent` for SMS and `wechat` for WeChat.
PARENT_CHANNEL_BACKENDS = {
    "sms": env.str("PARENT_SMS_BACKEND", default="file"),
    "wechat": env.str("PARENT_WECHAT_BACKEND", default="file"),
}
# Days a parent's link opens their page (parents.links); HR can revoke sooner.
PARENT_LINK_DAYS = env.int("PARENT_LINK_DAYS", default=7)
# Minutes after opening before a parent whose child is expected and not checked
# in is asked "is the child coming today?"; minutes after closing before the
# evening digest goes.
PARENT_MORNING_MINUTES = env.int("PARENT_MORNING_MINUTES", default=60)
PARENT_DIGEST_MINUTES_AFTER_CLOSING = env.int("PARENT_DIGEST_MINUTES_AFTER_CLOSING", default=30)
# What one SMS costs (yuan), for the parent messages' costs screen.
PARENT_SMS_PRICE = env.float("PARENT_SMS_PRICE", default=0.045)
# The late-pickup ladder (pickups.ladder): minutes past the expected pickup
# before the coordinator and HR are told, and before the factory's manager.
PICKUP_STAFF_AFTER_MINUTES = env.int("PICKUP_STAFF_AFTER_MINUTES", default=15)
PICKUP_MANAGER_AFTER_MINUTES = env.int("PICKUP_MANAGER_AFTER_MINUTES", default=30)
PARENT_MESSAGES_DIR = env.path("PARENT_MESSAGES_DIR", default=DATA_DIR / "messages")
# Seconds a provider's answer may take before the send is retried later.
PARENT_CHANNEL_TIMEOUT = env.float("PARENT_CHANNEL_TIMEOUT", default=10.0)
# The approved SMS signature, and each event's approved template per provider
# ("event=code,event=code"), as the providers require approved ones.
SMS_SIGN_NAME = env.str("SMS_SIGN_NAME", default="")
ALIBABA_ACCESS_KEY_ID = env.str("ALIBABA_ACCESS_KEY_ID", default="")
ALIBABA_ACCESS_KEY_SECRET = env.str("ALIBABA_ACCESS_KEY_SECRET", default="")
ALIBABA_SMS_ENDPOINT = env.str("ALIBABA_SMS_ENDPOINT", default="dysmsapi.aliyuncs.com")
ALIBABA_SMS_PROTOCOL = env.str("ALIBABA_SMS_PROTOCOL", default="https")
ALIBABA_SMS_TEMPLATES = env.dict("ALIBABA_SMS_TEMPLATES", default={})
TENCENT_SECRET_ID = env.str("TENCENT_SECRET_ID", default="")
TENCENT_SECRET_KEY = env.str("TENCENT_SECRET_KEY", default="")
TENCENT_SMS_APP_ID = env.str("TENCENT_SMS_APP_ID", default="")
TENCENT_SMS_REGION = env.str("TENCENT_SMS_REGION", default="ap-guangzhou")
TENCENT_SMS_ENDPOINT = env.str("TENCENT_SMS_ENDPOINT", default="sms.tencentcloudapi.com")
TENCENT_SMS_PROTOCOL = env.str("TENCENT_SMS_PROTOCOL", default="https")
TENCENT_SMS_TEMPLATES = env.dict("TENCENT_SMS_TEMPLATES", default={})
WECHAT_APP_ID = env.str("WECHAT_APP_ID", default="")
WECHAT_APP_SECRET = env.str("WECHAT_APP_SECRET", default="")
WECHAT_API_BASE = env.str("WECHAT_API_BASE", default="https://api.weixin.qq.com")
WECHAT_TEMPLATES = env.dict("WECHAT_TEMPLATES", default={})

# Celery. Production and CI use Redis. The default is kombu's filesystem
# transport: a real broker in a folder, so the worker and beat run on a fresh
# machine with no server installed (see README).
CELERY_BROKER_URL = _url_setting(
    "CELERY_BROKER_URL",
    default="filesystem://",
    schemes={"redis", "rediss", "filesystem", "memory"},
)
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = env.path("CELERY_FILESYSTEM_DIR", default=DATA_DIR / "celery")
    for _sub in ("queue", "processed", "control"):
        (Path(_queue_dir) / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(Path(_queue_dir) / "queue"),
        "data_folder_out": str(Path(_queue_dir) / "queue"),
        "processed_folder": str(Path(_queue_dir) / "processed"),
        "control_folder": str(Path(_queue_dir) / "control"),
        "store_processed": False,
    }
else:
    # Fail in about a second, not minutes, when Redis is unreachable or hung.
    # A whole dead worker's unacknowledged tasks come back after the
    # visibility timeout (5 minutes); the notification sweeper covers the rest.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 300,
        "socket_timeout": 1,
        "socket_connect_timeout": 1,
    }
    CELERY_BROKER_CONNECTION_TIMEOUT = 1
    CELERY_REDIS_SOCKET_TIMEOUT = 2
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A message is acknowledged only after its task finishes, and handed back if
# the worker dies mid-task: measured necessary in STACK-NOTES.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# The queue a task goes to unless it names one (workers listen with -Q); lets
# two deployments, or a test, share a Redis without taking each other's jobs.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
# Exactly one beat, however many are started. With Redis, celery-redbeat keeps
# the schedule in Redis and the running beat holds a lock there, renewed every
# few seconds; another beat waits for it and takes over (with the schedule's
# last runs, so nothing runs twice) within BEAT_LOCK_SECONDS of the first dying.
# Without Redis (one machine, filesystem broker) the lock is a file lock on the
# schedule file (ccrcsr/beat.py), released by the system when beat dies.
BEAT_LOCK_SECONDS = env.int("BEAT_LOCK_SECONDS", default=30)
CELERY_BEAT_MAX_LOOP_INTERVAL = max(1, min(5, BEAT_LOCK_SECONDS // 3))
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
    CELERY_REDBEAT_REDIS_URL = env.str("REDBEAT_REDIS_URL", default=CELERY_BROKER_URL)
    CELERY_REDBEAT_KEY_PREFIX = env.str("REDBEAT_KEY_PREFIX", default="redbeat:")
    CELERY_REDBEAT_LOCK_TIMEOUT = BEAT_LOCK_SECONDS
    CELERY_REDBEAT_REDIS_OPTIONS = {"socket_timeout": 2, "socket_connect_timeout": 2}
else:
    CELERY_BEAT_SCHEDULER = "ccrcsr.beat:LockedPersistentScheduler"
# The queue notifications go to (tests give each run its own).
NOTIFICATIONS_QUEUE = env.str("NOTIFICATIONS_QUEUE", default="celery")
# A notification whose claim was not extended for this long is taken to belong
# to a dead worker (a live send extends it every third of this).
NOTIFICATION_CLAIM_SECONDS = env.int("NOTIFICATION_CLAIM_SECONDS", default=45)
# The relay (`manage.py relay_outbox`, a process of its own next to the
# workers) hands due notifications to the broker every few seconds.
NOTIFICATION_RELAY_SECONDS = env.float("NOTIFICATION_RELAY_SECONDS", default=2.0)
# A handed-over row is handed over again once a worker took a row handed over
# this much later (its message was lost), or when no worker took it for the
# second figure (then twice as long after each further hand-over).
NOTIFICATION_REQUEUE_SECONDS = env.float("NOTIFICATION_REQUEUE_SECONDS", default=10.0)
NOTIFICATION_REQUEUE_LOST_SECONDS = env.float("NOTIFICATION_REQUEUE_LOST_SECONDS", default=60.0)
# Back-off after a transient sending error: this, then twice as long each time
# (60: 1, 2, 4, 8, 16 minutes; 6 tries in all).
NOTIFICATION_RETRY_SECONDS = env.float("NOTIFICATION_RETRY_SECONDS", default=60.0)
# Reminders: minutes after opening before "roll call missing" goes to teachers (the
# coordinator is told an hour later); days an application may wait; local hour of the
# daily reminders; weekday (1 = Monday) of the managers' weekly digest.
ROLL_CALL_REMINDER_MINUTES = env.int("ROLL_CALL_REMINDER_MINUTES", default=60)
APPLICATIONS_WAITING_DAYS = env.int("APPLICATIONS_WAITING_DAYS", default=3)
DAILY_REMINDER_HOUR = env.int("DAILY_REMINDER_HOUR", default=8)
WEEKLY_DIGEST_WEEKDAY = env.int("WEEKLY_DIGEST_WEEKDAY", default=1)
# Where links in emails point.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

CELERY_BEAT_SCHEDULE = {
    # Every reminder and summary: each check is idempotent, so running often is
    # harmless and a missed run is caught up by the next.
    "send-reminders": {
        "task": "notifications.tasks.send_reminders",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    # Anonymise children RETENTION_MONTHS after their last season (PIPL); daily.
    "anonymise-children": {
        "task": "enrollment.tasks.anonymise_children",
        "schedule": 24 * 3600.0,
        "options": {"expires": 12 * 3600},
    },
    # Forget the ids of roll-call taps older than ROLL_CALL_TAP_DAYS; daily.
    "purge-roll-call-taps": {
        "task": "attendance.tasks.purge_roll_call_taps",
        "schedule": 24 * 3600.0,
        "options": {"expires": 12 * 3600},
    },
    # Hand over notifications still pending (the broker was down when they were
    # logged) or stuck mid-send (a dead worker); expires before the next run.
    "send-pending-notifications": {
        "task": "notifications.tasks.send_pending_notifications",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
}

# Security. Secure by default when DEBUG is off; each can be relaxed by its
# variable (for example behind a proxy that already redirects to HTTPS).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
# Sessions end after 30 minutes idle and 12 hours at most (OWASP ASVS level 2).
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_MAX_SECONDS = env.int("SESSION_MAX_SECONDS", default=12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
# Not on every request: SessionLimitsMiddleware saves the session (pushing the
# idle limit back) only when the last-seen time has moved by a minute.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_TOUCH_SECONDS = 60
# A load balancer may probe /healthz/ over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^readyz/$"]
# Seconds /readyz/ waits for the database and the broker.
READYZ_TIMEOUT = env.float("READYZ_TIMEOUT", default=2.0)
SECURE_REFERRER_POLICY = "same-origin"
# No inline script or style anywhere: our JS and CSS are static files. The
# Django admin is left out (staff only, and it carries inline scripts).
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
