"""The language check for the English-only model: decided from several signs, stable across CPUs.

The decision rules are checked on transcripts shaped like those tiny.en writes (no model), the
whole path on real and synthesised speech under every CPU instruction set this machine can force
CTranslate2 to (bench/language.py measures the full set and the margins).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from screening.media import checks, english
from screening.media.transcript import AcousticWindow, RawTranscript, Segment
from screening.settings import MediaSettings

REPO = Path(__file__).resolve().parents[1]
AUDIO = REPO.parent / "shared" / "data" / "audio"


def judged(segments: list[Segment], speech_s: float, duration_s: float | None = None) -> list[str]:
    raw = RawTranscript(tuple(segments), duration_s or speech_s, speech_s, "en", None, "tiny.en@x", multilingual=False)
    return [p.code for p in checks.judge(raw, MediaSettings())[1]]


def seg(a: float, b: float, text: str, lp: float, ns: float = 0.2) -> Segment:
    return Segment(a, b, text, lp, ns)


def test_confident_english_is_not_flagged():
    segs = [seg(0, 4.5, "During our team meeting the teachers reviewed the reading data,", -0.35),
            seg(4.5, 9.0, "and we decided to add intervention time on Tuesdays.", -0.35)]
    assert judged(segs, 9.0) == []
    assert english.file_score(english.evidence(segs, 9.0, 9.5)) < 0


@pytest.mark.parametrize("text,lp", [
    ("Thank you for watching!", -1.12),  # french.aiff with the AVX and generic kernels
    ("I'm going to go to the next video.", -1.49),  # the same clip with AVX2 kernels
])
def test_both_cpu_paths_of_the_short_french_clip_are_flagged(text, lp):
    assert judged([seg(0.0, 2.0, text, lp, 0.16)], 2.53) == ["language"]


def test_a_decoding_loop_is_flagged_even_when_confident():
    loop = [seg(i, i + 1.0, "I'm not sure if I can see the", -0.4) for i in range(12)]
    raw = RawTranscript(tuple(loop), 10.0, 10.0, "en", None, "tiny.en@x", multilingual=False)
    problems = checks.judge(raw, MediaSettings())[1]
    assert [p.code for p in problems] == ["language"]
    assert "repetition" in problems[0].params["method"]
    # the loop's time stamps run past the end of the file; the message stays inside it
    assert problems[0].params["time_ranges"] == "00:00–00:10"


def test_nine_seconds_of_speech_written_as_one_word_is_flagged():
    assert judged([seg(0.0, 9.0, "The", -2.26)], 9.3) == ["language"]


def test_speech_with_no_word_at_all_is_language_not_silence():
    raw = RawTranscript((), 9.0, 8.6, "en", None, "tiny.en@x", multilingual=False)
    problems = checks.judge(raw, MediaSettings())[1]
    assert [p.code for p in problems] == ["language"]
    assert "no English word" in problems[0].params["method"]
    short = RawTranscript((), 3.0, 0.4, "en", None, "tiny.en@x", multilingual=False)
    assert [p.code for p in checks.judge(short, MediaSettings())[1]] == ["no_speech"]


def test_slow_counting_in_a_short_clip_is_english():
    assert judged([seg(0.0, 2.7, "1, 2, 3.", -0.7)], 2.74) == []


def test_one_garbled_window_in_a_long_english_recording_is_not_language():
    lines = ["We looked at the unit plan for week {n} and agreed on changes.", "Ms. Ortiz brought {n} samples of student writing.",
             "The team sorted them by the rubric in about {n} minutes.", "Then we planned two mini lessons for week {n}.",
             "I asked who would try the new warm-up first, and {n} hands went up.", "We meet again on the {n}th to look at results."]
    good = [seg(30.0 * w + i * 5, 30.0 * w + i * 5 + 5, line.format(n=w + 3), -0.4 - 0.01 * w)
            for w in range(6) for i, line in enumerate(lines)]
    bad = [seg(180 + i * 5, 185 + i * 5, text, -1.3) for i, text in enumerate(
        ["mumble the thing over there", "and then the other", "so we yeah", "right the", "over the table with it", "okay"])]
    codes = judged(good + bad, 200.0, 210.0)
    assert "language" not in codes


def test_phrases_the_decoder_falls_back_on_are_flagged_when_they_are_not_back_to_back():
    # a German clip as tiny.en wrote it under AVX kernels (bench/RESULTS.md): each segment is
    # different from the one before, so it is no loop, and the confidence alone is below the line
    segs = [seg(0.1, 3.2, "I'm going to have an employee in a new room to win for.", -0.94),
            seg(3.2, 5.0, "I just don't want to be having this loss.", -0.94),
            seg(5.0, 8.1, "And I'm going to have an employee in a new room to win.", -0.94)]
    raw = RawTranscript(tuple(segs), 8.75, 8.7, "en", None, "tiny.en@x", multilingual=False)
    problems = checks.judge(raw, MediaSettings())[1]
    assert [p.code for p in problems] == ["language"]
    assert "repeated phrases" in problems[0].params["method"]


@pytest.mark.parametrize("lp", [-0.45, -0.7])
def test_parallel_phrasing_in_english_is_not_a_repeated_phrase_flag(lp):
    segs = [seg(0, 5.0, "We looked at the exit tickets, we looked at the rubric,", lp),
            seg(5.0, 10.5, "and we looked at the samples that the science department brought on Monday.", lp)]
    assert judged(segs, 10.5, 11.0) == []


def test_one_unknown_word_in_a_short_noisy_window_is_weak_evidence():
    # English under noise (bench/language_set.py, en-v2-t3-noise0 with AVX2 kernels): the second
    # window is five words, one of them not English
    segs = [seg(0.0, 7.3, "After the walk through my met-with-musions department, we looked at the exit ticket "
                "from Monday and planned how to reach", -0.60, 0.11),
            seg(7.3, 9.3, "density before the QIMON Friday.", -1.19, 0.2)]
    raw = RawTranscript(tuple(segs), 10.49, 10.5, "en", None, "tiny.en@x", multilingual=False)
    found = english.evidence(raw.segments, raw.speech_s, raw.duration_s)
    assert [p.code for p in checks.judge(raw, MediaSettings())[1]] == []
    # the five-word window's unknown-word sign counts half of what the same share would in ten words
    assert 0 < found[1].terms["unknown words"] < english.window_evidence(
        [seg(7.3, 9.3, "density before the QIMON Friday density before the QIMON Friday", -1.19, 0.2)], 2.0).terms["unknown words"]


def test_students_full_names_are_not_unknown_words():
    # An English debrief (bench/independent/dev11, instr-38): the recogniser writes the students'
    # names as it hears them, and no vocabulary lists them
    names = [seg(36.3, 45.6, "Thanks. The group by the windows struggled. Oh, Jaden Morels and Arrrh King came to "
                 "never really started the lab, and Tristan Webcap", -0.55),
             seg(45.6, 63.7, "tasking to go to the nurse. I think Jaden just didn't know what to do first. "
                 "That matches my notes. Your strength today was the check for understanding.", -0.55)]
    lowered = [seg(s.start_s, s.end_s, s.text.replace("Morels", "morels").replace("Webcap", "webcap")
                   .replace("Arrrh King", "arrrh king"), s.avg_logprob) for s in names]
    assert english.window_evidence(names, 27.0).terms["unknown words"] < 1.0 < \
        english.window_evidence(lowered, 27.0).terms["unknown words"]
    assert judged(names, 27.0, 28.0) == []
    # a single capitalised word is still a word: tiny.en writes German that way
    german = [seg(0.0, 3.9, "I'm going to take Harvin the Kalegan even more back to him for the state.", -0.93),
              seg(3.9, 8.4, "Going to the Harvin the Schlossen, the House of Harvin in the Middle School for Sufan", -0.93)]
    assert english.window_evidence(german, 9.3).terms["unknown words"] > 1


def test_the_threshold_is_a_setting():
    segs = [seg(0, 9.0, "In the fort we will do harm and be like if to the winter is", -0.95)]
    raw = RawTranscript(tuple(segs), 9.0, 9.0, "en", None, "tiny.en@x", multilingual=False)
    score = english.file_score(english.evidence(raw.segments, raw.speech_s, raw.duration_s))
    below = MediaSettings(language_evidence_min=score + 0.5)
    above = MediaSettings(language_evidence_min=score - 0.5)
    assert "language" not in [p.code for p in checks.judge(raw, below)[1]]
    assert "language" in [p.code for p in checks.judge(raw, above)[1]]


# ---------------------------------------------------------------------------------------------
# The acoustic probe's windows beside the transcript's signs (screening/media/acoustic.py)

def _with_windows(segments: list[Segment], speech_s: float, windows: list[tuple[float, float, float]]) -> RawTranscript:
    return RawTranscript(tuple(segments), speech_s, speech_s, "en", None, "tiny.en@x", multilingual=False,
                         acoustic=tuple(AcousticWindow(a, b, p) for a, b, p in windows))


def _codes(raw: RawTranscript, settings: MediaSettings | None = None) -> list[str]:
    return [p.code for p in checks.judge(raw, settings or MediaSettings())[1]]


def _fluent() -> list[Segment]:
    # Spanish written down as confident, fluent English: nothing in the text says otherwise
    return [seg(0, 5, "During our team meeting the teachers reviewed the reading data.", -0.3),
            seg(5, 14, "I'm not sure if I'm going to be able to do this on Tuesday.", -0.4),
            seg(14, 20, "We decided to add intervention time on Thursdays.", -0.3)]


def test_a_stretch_the_encoder_hears_as_another_language_is_flagged_when_the_text_reads_as_english():
    windows = [(0, 5, 0.02), (1, 6, 0.1), (5, 10, 0.97), (6, 11, 0.99), (8, 13, 0.95), (14, 19, 0.01)]
    raw = _with_windows(_fluent(), 20.0, windows)
    assert _codes(_with_windows(_fluent(), 20.0, [])) == []
    problems = checks.judge(raw, MediaSettings())[1]
    assert [p.code for p in problems] == ["language"]
    assert problems[0].params["time_ranges"] == "00:05–00:13"


def test_the_shortest_stretch_and_the_probability_are_settings():
    raw = _with_windows(_fluent(), 20.0, [(0, 5, 0.02), (5, 10, 0.93), (14, 19, 0.01)])
    assert _codes(raw) == ["language"]  # one 5 s window at 0.93: the default minimum stretch is 4 s
    assert _codes(raw, MediaSettings(acoustic_other_s=6.0)) == []
    assert _codes(raw, MediaSettings(acoustic_other_min=0.95)) == []
    assert _codes(raw, MediaSettings(acoustic_probe=False)) == []


def test_english_the_model_could_not_follow_is_no_language_flag_when_it_sounds_english():
    garbled = [seg(0, 9.0, "A tingun slop taffet on a winter break, the bollen sed trom.", -1.3),
               seg(9.0, 18.0, "Forlang de tosh and meerly had the rooben.", -1.25)]
    assert _codes(_with_windows(garbled, 18.0, [])) == ["language"]  # the signs alone
    sounds_english = _with_windows(garbled, 18.0, [(0, 5, 0.03), (4, 9, 0.1), (9, 14, 0.05), (13, 18, 0.08)])
    assert _codes(sounds_english) == ["low_confidence_transcript"]
    # The probe decides once it has heard enough speech and no window of it reached another
    # language (media.acoustic_english_max is media.acoustic_other_min by default) ...
    unsure = _with_windows(garbled, 18.0, [(0, 5, 0.03), (4, 9, 0.4), (9, 14, 0.05)])
    assert _codes(unsure) == ["low_confidence_transcript"]
    # ... a stricter setting lets the signs stand where it is unsure ...
    assert _codes(unsure, MediaSettings(acoustic_english_max=0.25)) == ["language"]
    # ... and from less than media.acoustic_other_s of speech it never overrules them
    assert _codes(_with_windows(garbled, 18.0, [(0, 3, 0.03)])) == ["language"]
    assert _codes(sounds_english, MediaSettings(acoustic_probe=False)) == ["language"]


def test_the_probes_windows_survive_the_transcript_cache():
    raw = _with_windows(_fluent(), 20.0, [(5, 10, 0.97)])
    assert RawTranscript.from_json(json.loads(json.dumps(raw.to_json()))) == raw
    old = raw.to_json()
    del old["acoustic"]  # written before the probe existed
    assert RawTranscript.from_json(old).acoustic is None


# ---------------------------------------------------------------------------------------------
# Real and synthesised speech, under the CPU's own instruction set and the one below it


def _isas() -> list[str]:
    """The CPU's own instruction set and the one below it: their int8 kernels differ most in
    practice (AVX and AVX2 decode french.aiff differently; generic kernels agree with AVX and
    take twice as long). bench/language.py runs them all."""
    from bench.language import available_isas, cpu_flags

    return available_isas(cpu_flags())[-2:]


def _judge_under(isa: str, paths: list[Path]) -> dict[str, list[str]]:
    """Flags for each file, transcribed in a child process with CTranslate2 forced to ``isa``."""
    code = (
        "import json, sys; from pathlib import Path; from screening.media import transcribe; "
        "from screening.settings import MediaSettings; "
        "print(json.dumps({Path(p).name: [x.code for x in transcribe(Path(p), MediaSettings(), None).problems] "
        "for p in sys.argv[1:]}))"
    )
    env = {**os.environ, "CT2_FORCE_CPU_ISA": isa, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", code, *map(str, paths)], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


# Synthesised dev clips whose margin from the threshold is at least 0.5 under every ISA in
# bench/RESULTS.md; one per language, two English.
SYNTHESISED = {"fr-v1-t1.wav": "fr", "es-v1-t1.wav": "es", "de-v0-t0.wav": "de", "it-v0-t0.wav": "it",
               "pt-v0-t0.wav": "pt", "nl-v0-t1.wav": "nl", "en-v0-t0.wav": "en", "en-v2-t1.wav": "en"}


@pytest.fixture(scope="module")
def synthesised(tmp_path_factory) -> list[Path]:
    from bench import language_set

    missing = language_set.tools_missing()
    if missing:
        if os.environ.get("SCREENING_TEST_REQUIRE_ESPEAK"):
            pytest.fail(f"{missing} not installed (SCREENING_TEST_REQUIRE_ESPEAK is set)")
        pytest.skip(f"{missing} not installed")
    folder = tmp_path_factory.mktemp("language-set")
    wanted = [c for c in language_set.clips() if c.file in SYNTHESISED]
    language_set.build(folder, wanted)
    return [folder / c.file for c in wanted]


# One test per instruction set, so that the two test processes can take one each.
@pytest.mark.heavy
@pytest.mark.models
@pytest.mark.parametrize("which", ["own", "below"])
def test_two_instruction_sets_flag_other_languages_and_not_english(synthesised, which):
    isas = _isas()
    if which == "below" and len(isas) < 2:
        pytest.skip(f"the CPU offers no instruction set below its own ({isas})")
    isa = isas[-1] if which == "own" else isas[0]
    shared = {"french.aiff": "fr", "jfk.flac": "en", "stereo_diarization.wav": "en"}
    paths = list(synthesised) + [AUDIO / n for n in shared if (AUDIO / n).is_file()]
    truth = {**SYNTHESISED, **shared}
    got = _judge_under(isa, paths)
    assert set(got) == {p.name for p in paths}
    for name, codes in got.items():
        if truth[name] == "en":
            assert "language" not in codes, (isa, name, codes)
        else:
            assert codes == ["language"], (isa, name, codes)


def test_a_recordings_flag_points_at_its_first_stretch():
    from screening.checks.files import time_location

    loc = time_location("00:30–01:00, 02:10–02:40")
    assert (loc["start_s"], loc["end_s"], loc["fragment"]) == (30, 60, "#t=30,60")
    assert loc["label"] == "00:30–01:00, 02:10–02:40"
    assert time_location("1:02:10–1:03:00")["fragment"] == "#t=3730,3780"


def _speak(folder: Path, parts: list[tuple[str, str]]) -> Path:
    """One 16 kHz mono WAV of the parts (voice, text) read one after another."""
    pieces = []
    for i, (voice, text) in enumerate(parts):
        raw = folder / f"part{i}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text], check=True, capture_output=True)
        pieces.append(str(raw))
    out = folder / "mixed.wav"
    subprocess.run(["sox", "-R", *pieces, "-r", "16000", "-c", "1", "-b", "16", str(out)], check=True, capture_output=True)
    return out


@pytest.mark.models
def test_a_spanish_stretch_in_an_english_meeting_is_flagged_at_that_stretch(tmp_path):
    from bench import language_set
    from screening.media import transcribe

    missing = language_set.tools_missing()
    if missing:
        if os.environ.get("SCREENING_TEST_REQUIRE_ESPEAK"):
            pytest.fail(f"{missing} not installed (SCREENING_TEST_REQUIRE_ESPEAK is set)")
        pytest.skip(f"{missing} not installed")
    english_part = ("en-us", "Thanks for coming to the data meeting. We looked at the fourth grade reading scores "
                    "and agreed to add a second small group on Tuesdays and Thursdays.")
    spanish_part = ("es", "Buenas tardes a todas las familias. Les queremos contar que la noche de lectura será el "
                    "jueves a las seis, y habrá cena para todos los niños y sus hermanos.")
    closing = ("en-us", "Next week each teacher brings two writing samples, and we will score them together with "
                        "the rubric before we plan the mini lessons.")
    path = _speak(tmp_path, [english_part, spanish_part, closing])
    transcript = transcribe(path, MediaSettings(), None)
    assert [p.code for p in transcript.problems] == ["language"]
    first = transcript.problems[0].params["time_ranges"].split(",")[0]
    start, end = (int(t.split(":")[0]) * 60 + int(t.split(":")[1]) for t in first.split("–"))
    english_s = next(s.end_s for s in transcript.segments if "Tuesday" in s.text or "small group" in s.text)
    assert start >= english_s - 3  # the flagged stretch starts after the English opening, not at 00:00
    only_english = _speak(tmp_path, [english_part, closing])
    assert "language" not in [p.code for p in transcribe(only_english, MediaSettings(), None).problems]


def test_the_bundled_model_has_its_acoustic_probe():
    from screening.media.acoustic import load_probe
    from screening.media.model import whisper_info

    probe = load_probe(whisper_info(MediaSettings()).fingerprint)
    assert probe is not None and probe.coef.shape == probe.mean.shape == probe.scale.shape
