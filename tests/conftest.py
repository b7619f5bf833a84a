"""What every test shares: hypothesis never fails a test on a timing.

Benchmarks are not tests: on a loaded machine (CI, two cores) an example that takes longer than
hypothesis' default 200 ms deadline says nothing about the code, so the deadline is off and the
too-slow health check is not a failure.
"""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "stint", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("stint")
