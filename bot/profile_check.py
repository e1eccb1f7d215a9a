"""The worker's province, city and job, checked the same way wherever they come in (``/lite``'s
form, the open API's ask, batch and OpenAI-compatible endpoints): a known province, a city of the
list (which names its province; a 直辖市 is its own province), a job among the page's choices.

:func:`checked_profile` returns the values as the bot is asked with them, or raises
:class:`ProfileError` naming what is wrong; each way in words the message itself (the page in one
sentence, the API with the list of what it accepts: :func:`accepted_zh`).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from corpus.changes import JOBS
from corpus.regions import CITIES, MUNICIPALITIES, PROVINCE_OF, PROVINCES, normalise_region


class ProfileProblem(StrEnum):
    UNKNOWN_PROVINCE = "province"
    UNKNOWN_CITY = "city"
    CITY_ELSEWHERE = "city_elsewhere"
    """A known city, but not in the province given."""
    UNKNOWN_JOB = "job"


class ProfileError(ValueError):
    """A province, city or job that is not one of the choices."""

    def __init__(self, problem: ProfileProblem, value: str, *, province: str | None = None):
        super().__init__(f"{problem}: {value}")
        self.problem = problem
        self.value = value
        self.province = province
        """For :attr:`ProfileProblem.CITY_ELSEWHERE`: the province that was given."""


@dataclass(frozen=True)
class CheckedProfile:
    province: str | None = None
    city: str | None = None
    """None for a 直辖市 (its city is the province) or when no city was chosen."""
    job: str | None = None

    @property
    def region(self) -> str | None:
        """What the bot is asked with: the city when there is one, else the province."""
        return self.city or self.province


def checked_profile(*, province: str | None = None, city: str | None = None, job: str | None = None) -> CheckedProfile:
    """The profile with a city's province filled in; :class:`ProfileError` for a value not offered."""
    province = normalise_region(province)
    city = normalise_region(city)
    job = (job or "").strip() or None
    if province and province not in PROVINCES:
        raise ProfileError(ProfileProblem.UNKNOWN_PROVINCE, province)
    if city:
        home = PROVINCE_OF.get(city) or (city if city in MUNICIPALITIES else None)
        if home is None:
            raise ProfileError(ProfileProblem.UNKNOWN_CITY, city)
        if province and province != home:
            raise ProfileError(ProfileProblem.CITY_ELSEWHERE, city, province=province)
        province = home
        if city in MUNICIPALITIES:
            city = None
    if job and job not in JOBS:
        raise ProfileError(ProfileProblem.UNKNOWN_JOB, job)
    return CheckedProfile(province=province, city=city, job=job)


def accepted_zh(error: ProfileError) -> str:
    """One Chinese sentence: what was wrong and every value that is accepted there."""
    value = error.value[:20]
    if error.problem == ProfileProblem.UNKNOWN_PROVINCE:
        return f"不认识的省份「{value}」。可以填：{'、'.join(PROVINCES)}（不填就只按全国的规定回答）。"
    if error.problem == ProfileProblem.UNKNOWN_JOB:
        return f"不认识的工作「{value}」。可以填：{'、'.join(JOBS)}。"
    if error.problem == ProfileProblem.CITY_ELSEWHERE:
        here = CITIES.get(error.province or "", ())
        offered = f"{error.province}可以填的城市：{'、'.join(here)}" if here else f"{error.province}没有可选的城市，只填省份即可"
        return f"{value}不在{error.province}。{offered}。"
    cities = [c for cs in CITIES.values() for c in cs]
    return f"不认识的城市「{value}」。可以填：{'、'.join([*MUNICIPALITIES, *cities])}；别的城市请只填省份。"


__all__ = ["CheckedProfile", "ProfileError", "ProfileProblem", "accepted_zh", "checked_profile"]
