"""`manage.py relay_outbox`: the relay loop as a process of its own.

Run it next to the Celery workers (`make run` does); several at once are safe.
It is a process of its own, not a thread in a worker, because a prefork worker
forks its pool processes while such a thread would be running.
"""

from django.core.management.base import BaseCommand

from notifications.relay import Relay


class Command(BaseCommand):
    help = "Hand due notifications to the broker, every few seconds, until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=None, help="seconds between cycles")

    def handle(self, *args, interval=None, **options):
        relay = Relay(interval)
        relay.stop_on_sigterm()
        self.stdout.write(f"relaying the notification outbox every {relay.interval:g} s")
        try:
            relay.run()
        except KeyboardInterrupt:
            relay.stop()
