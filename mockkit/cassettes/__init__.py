"""Cassettes: record against a sandbox, scrub every secret, replay offline and fast.

Built on vcrpy (recording, record modes, its YAML format) with mockkit's own replay index,
scrubbing, leak gate, atomic writes and host mapping. See docs/cassettes.md.
"""

from mockkit.cassettes.core import Cassette, CassetteContext, use
from mockkit.cassettes.errors import CassetteError, CassetteLeakError, CassetteMiss, LiveKeyError
from mockkit.cassettes.hosts import HostMap
from mockkit.cassettes.leak import LeakFinding, find_leaks
from mockkit.cassettes.match import PRESETS, MatchPreset
from mockkit.cassettes.modes import RECORD_MODES, EffectiveMode, resolve_mode
from mockkit.cassettes.sandbox import Sandbox
from mockkit.cassettes.scrub import DEFAULT_SCRUBBER, Scrubber
from mockkit.cassettes.store import CassetteFormatError, MockkitPerformanceWarning, load_cassette

__all__ = [
    "DEFAULT_SCRUBBER",
    "PRESETS",
    "RECORD_MODES",
    "Cassette",
    "CassetteContext",
    "CassetteError",
    "CassetteFormatError",
    "CassetteLeakError",
    "CassetteMiss",
    "EffectiveMode",
    "HostMap",
    "LeakFinding",
    "LiveKeyError",
    "MatchPreset",
    "MockkitPerformanceWarning",
    "Sandbox",
    "Scrubber",
    "find_leaks",
    "load_cassette",
    "resolve_mode",
    "use",
]
