"""The retry policy, plugged into tenacity (imported only when used)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypedDict

from ._problems import ReceivedProblem, record_attempt
from ._retry import ExceptionTypes, RetryPolicy, concerns

if TYPE_CHECKING:
    from tenacity import RetryCallState

# Where the tenacity predicate leaves its decision for the wait function
# (stamina does the same with tenacity's per-call state).
_DELAY_ATTR = "_problemdetails_delay"


def tenacity_retry(
    policy: RetryPolicy, *, also_on: ExceptionTypes = ()
) -> Callable[[RetryCallState], bool]:
    """Return a tenacity ``retry=`` predicate that follows *policy*.

    It records the attempt number on the problem, so the one re-raised last
    says how many tries were made. Pair it with `tenacity_wait`, or use
    `tenacity_kwargs` for both.
    """

    def retry(state: RetryCallState) -> bool:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None and outcome.failed else None
        if error is None or not concerns(error, also_on):
            return False
        elapsed = state.seconds_since_start
        if isinstance(error, ReceivedProblem):
            record_attempt(error, state.attempt_number, elapsed)
        delay = policy.delay(state.attempt_number, error, elapsed=elapsed)
        setattr(state, _DELAY_ATTR, delay)
        return delay is not None

    return retry


def tenacity_wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    """Return a tenacity ``wait=`` function: the wait `tenacity_retry` decided on.

    Without that predicate, it is the policy's plain backoff.
    """

    def wait(state: RetryCallState) -> float:
        delay = getattr(state, _DELAY_ATTR, None)
        if isinstance(delay, float):
            delattr(state, _DELAY_ATTR)
            return delay
        return policy.backoff(state.attempt_number)

    return wait


class TenacityKwargs(TypedDict):
    """The keyword arguments `tenacity_kwargs` returns for ``tenacity.retry``."""

    retry: Callable[[RetryCallState], bool]
    wait: Callable[[RetryCallState], float]
    reraise: bool


def tenacity_kwargs(policy: RetryPolicy, *, also_on: ExceptionTypes = ()) -> TenacityKwargs:
    """Return ``retry``, ``wait`` and ``reraise`` for ``tenacity.retry(**...)``.

    With ``reraise=True`` the last problem itself is raised when the policy
    gives up, not tenacity's ``RetryError``.

    Example:
        >>> @tenacity.retry(**tenacity_kwargs(policy))  # doctest: +SKIP
        ... def invoice(number): ...
    """
    return {
        "retry": tenacity_retry(policy, also_on=also_on),
        "wait": tenacity_wait(policy),
        "reraise": True,
    }
