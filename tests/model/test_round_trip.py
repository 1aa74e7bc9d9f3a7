from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from emrlint.model import Episode
from tests.builders import TZ
from tests.strategies import episodes


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(episodes())
def test_episodes_survive_native_json_round_trip(episode: Episode) -> None:
    text = episode.model_dump_json()
    again = Episode.model_validate_json(text, context={"tz": TZ})
    assert again == episode
    assert again.model_dump_json() == text
