"""Transcription of audio and video evidence (screening.media) on real clips from ../shared.

Reference texts are those of ../shared/data/README.md.
"""

from __future__ import annotations

import json
import math
import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from screening.media.wer import wer, words as normalise
from screening.settings import MediaSettings

pytestmark = pytest.mark.models

AUDIO = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "audio"
JFK_TEXT = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
ONE_TWO_THREE = "one two three"


def clip(name: str) -> Path:
    path = AUDIO / name
    if not path.is_file():
        pytest.skip(f"shared test audio not found: {path}")
    return path






def test_wer_function():
    assert wer("one two three", "1, 2, 3.") == 0
    assert wer("a b c d", "a x c") == 0.5
    assert wer("a b", "a b c d") == 1.0


def write_wav(path: Path, samples: np.ndarray, rate: int = 16_000) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def make_mp4(path: Path, source: Path, video: bool = True, audio: bool = True) -> Path:
    """An MP4 with a few black frames (MPEG-4 part 2) and the source's audio as AAC, by PyAV."""
    import av

    with av.open(str(path), "w") as out:
        # every stream is added before the first packet is muxed (the header is written then)
        vs = out.add_stream("mpeg4", rate=5) if video else None
        aus = out.add_stream("aac", rate=44_100, layout="mono") if audio else None
        if vs is not None:
            vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
            for i in range(5):
                frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
                frame.pts = i
                for packet in vs.encode(frame):
                    out.mux(packet)
            for packet in vs.encode(None):
                out.mux(packet)
        if aus is not None:
            resampler = av.AudioResampler(format="fltp", layout="mono", rate=44_100)
            with av.open(str(source)) as inp:
                for frame in inp.decode(audio=0):
                    for f in resampler.resample(frame):
                        f.pts = None
                        for packet in aus.encode(f):
                            out.mux(packet)
            for packet in aus.encode(None):
                out.mux(packet)
    return path


@pytest.fixture(scope="module")
def media():
    from screening import media

    return media


@pytest.fixture
def cfg() -> MediaSettings:
    return MediaSettings()


def codes(transcript) -> list[str]:
    return [p.code for p in transcript.problems]


def check_segments(transcript) -> None:
    assert transcript.segments
    last_start = -1.0
    for s in transcript.segments:
        assert 0 <= s.start_s < s.end_s
        assert s.start_s >= last_start
        last_start = s.start_s
        assert transcript.duration_s is None or s.end_s <= transcript.duration_s + 0.05
    ends = [s.end_s for s in transcript.segments]
    assert ends == sorted(ends)


def test_jfk_words_and_time_stamps(media, cfg):
    t = media.transcribe(clip("jfk.flac"), cfg, None)
    assert t.problems == ()
    assert wer(JFK_TEXT, t.text) <= 0.15, t.text
    assert t.duration_s == pytest.approx(11.0, abs=0.1)
    assert t.language == "en"
    assert t.model.startswith("tiny.en@")
    assert 5 < t.speech_s <= 11.05
    check_segments(t)


@pytest.mark.parametrize("name", ["english.wav", "audio-mono-8-bit-44100Hz.wav", "audio-stereo-24-bit-44100Hz.flac"])
def test_one_two_three_in_every_encoding(media, cfg, name):
    # 16-bit WAV, 8-bit unsigned WAV and 24-bit stereo FLAC of the same words
    t = media.transcribe(clip(name), cfg, None)
    assert "file_unreadable" not in codes(t)
    assert normalise(t.text) == normalise(ONE_TWO_THREE), t.text


def test_french_aiff_decodes_and_is_flagged_not_english(media, cfg):
    t = media.transcribe(clip("french.aiff"), cfg, None)
    assert t.duration_s == pytest.approx(2.53, abs=0.05)
    assert codes(t) == ["language"]
    params = t.problems[0].params
    assert params["setting"] == "media.whisper_path"
    assert params["time_ranges"].startswith("00:00–")
    assert t.language is None  # an English-only model cannot name the language


def test_english_clips_are_not_flagged_for_language(media, cfg):
    for name in ("jfk.flac", "english.wav", "stereo_diarization.wav", "hotwords.mp3"):
        assert "language" not in codes(media.transcribe(clip(name), cfg, None)), name


def test_silent_wav_and_tone_have_no_speech(media, cfg, tmp_path):
    rate = 16_000
    silent = write_wav(tmp_path / "silence.wav", np.zeros(3 * rate))
    t = np.arange(3 * rate) / rate
    tone = write_wav(tmp_path / "tone.wav", 0.3 * np.sin(2 * math.pi * 440 * t))
    for path in (silent, tone):
        got = media.transcribe(path, cfg, None)
        assert codes(got) == ["no_speech"], (path.name, got)
        assert got.duration_s == pytest.approx(3.0, abs=0.01)
        assert got.problems[0].params["reason"]


def test_truncated_file_is_unreadable_with_a_reason(media, cfg, tmp_path):
    data = clip("jfk.flac").read_bytes()
    cut = tmp_path / "jfk-cut.flac"
    cut.write_bytes(data[: int(len(data) * 0.4)])
    t = media.transcribe(cut, cfg, None)
    assert codes(t) == ["file_unreadable"]
    assert "cut short" in t.problems[0].params["reason"]
    assert t.segments == ()


def test_random_bytes_named_mp4_is_unreadable(media, cfg, tmp_path):
    junk = tmp_path / "lesson.mp4"
    junk.write_bytes(np.random.default_rng(0).bytes(100_000))
    t = media.transcribe(junk, cfg, None)
    assert codes(t) == ["file_unreadable"]
    assert "could not be opened as audio or video" in t.problems[0].params["reason"]
    empty = tmp_path / "empty.m4a"
    empty.write_bytes(b"")
    assert codes(media.transcribe(empty, cfg, None)) == ["file_unreadable"]


def test_mp4_video_with_aac_audio(media, cfg, tmp_path):
    mp4 = make_mp4(tmp_path / "lesson.mp4", clip("jfk.flac"))
    t = media.transcribe(mp4, cfg, None)
    assert t.problems == ()
    assert wer(JFK_TEXT, t.text) <= 0.15, t.text
    check_segments(t)
    assert t.segments[-1].end_s > 8


def test_video_without_audio_track(media, cfg, tmp_path):
    mp4 = make_mp4(tmp_path / "silent-film.mp4", clip("jfk.flac"), audio=False)
    duration, problem = media.probe(mp4, cfg)
    assert problem is not None and problem.code == "no_speech"
    assert "no audio track" in problem.params["reason"]
    assert codes(media.transcribe(mp4, cfg, None)) == ["no_speech"]


def test_too_long_or_too_big_is_stopped_before_decoding(media, monkeypatch):
    from screening.media import decode

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded a file over the limit")

    monkeypatch.setattr(decode, "decode", no_decoding)
    monkeypatch.setattr("screening.media.transcriber.decode", no_decoding)
    runs = media.model_runs()
    short = MediaSettings(max_duration_s=5)
    duration, problem = media.probe(clip("jfk.flac"), short)
    assert duration == pytest.approx(11.0, abs=0.1)
    assert problem is not None and problem.code == "media_too_long"
    assert problem.params["limit"] == "00:05" and problem.params["duration"] == "00:11"
    t = media.transcribe(clip("jfk.flac"), short, None)
    assert codes(t) == ["media_too_long"] and t.segments == ()
    small = MediaSettings(max_bytes=1000)
    t = media.transcribe(clip("jfk.flac"), small, None)
    assert codes(t) == ["media_too_long"]
    assert t.problems[0].params["setting"] == "media.max_bytes"
    assert media.model_runs() == runs


def test_second_transcription_is_read_from_the_cache(media, cfg, tmp_path):
    # a copy under another name: the cache keys on content, not on the path
    copy = shutil.copy(clip("english.wav"), tmp_path / "renamed.wav")
    cache_dir = tmp_path / "cache"
    before = media.model_runs()
    first = media.transcribe(clip("english.wav"), cfg, cache_dir)
    assert media.model_runs() == before + 1
    seen: list[tuple[float, float]] = []
    second = media.transcribe(Path(copy), cfg, cache_dir, progress=lambda d, t: seen.append((d, t)))
    assert media.model_runs() == before + 1  # the model did not run again
    assert second == first
    assert seen and seen[-1][0] == seen[-1][1]
    files = list((cache_dir / "transcripts").rglob("*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["segments"]
    # an option that changes the output is part of the key
    media.transcribe(clip("english.wav"), MediaSettings(beam_size=2), cache_dir)
    assert media.model_runs() == before + 2
    # a threshold is not: a cached transcript is judged again under the new one
    strict = media.transcribe(clip("english.wav"), MediaSettings(low_confidence_logprob=-0.1), cache_dir)
    assert media.model_runs() == before + 2
    assert codes(strict) == ["low_confidence_transcript"]
    assert strict.problems[0].params["time_ranges"] == "00:00–00:03"


def test_progress_reports_as_segments_arrive(media, cfg):
    seen: list[tuple[float, float]] = []
    media.transcribe(clip("jfk.flac"), cfg, None, progress=lambda done, total: seen.append((done, total)))
    assert len(seen) >= 2
    assert all(total == pytest.approx(11.0, abs=0.1) for _, total in seen)
    dones = [d for d, _ in seen]
    assert dones == sorted(dones) and dones[-1] == seen[-1][1]


def test_transcribe_many_keeps_order_and_reports_each_file(media, tmp_path):
    cfg = MediaSettings(cpu_threads=2, parallel_files=2)
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    paths = [clip("jfk.flac"), junk, clip("english.wav"), clip("french.aiff")]
    seen: list[tuple[float, float]] = []
    got = media.transcribe_many(paths, cfg, None, progress=lambda d, t: seen.append((d, t)))
    assert [codes(t) for t in got] == [[], ["file_unreadable"], [], ["language"]]
    assert wer(JFK_TEXT, got[0].text) <= 0.15
    assert seen[-1][0] == pytest.approx(seen[-1][1])


def test_language_flag_from_a_multilingual_model():
    # No multilingual model ships here; the decision is checked on what such a model reports.
    from screening.media import checks
    from screening.media.transcript import RawTranscript, Segment

    seg = Segment(0.0, 2.5, "si la dictée numéro un", -0.4, 0.1)
    raw = RawTranscript((seg,), 2.5, 2.5, "fr", 0.93, "small@x", multilingual=True)
    _, problems = checks.judge(raw, MediaSettings())
    assert [p.code for p in problems] == ["language"]
    assert problems[0].params["language"] == "French" and problems[0].params["probability"] == "93%"
    unsure = RawTranscript((seg,), 2.5, 2.5, "fr", 0.4, "small@x", multilingual=True)
    assert checks.judge(unsure, MediaSettings())[1] == ()


def test_low_confidence_ranges_are_merged_and_listed():
    from screening.media import checks
    from screening.media.transcript import RawTranscript, Segment

    # English at a speaking rate (about 2.5 words a second): the language check finds nothing
    # against it, so the uncertain stretches are what is reported
    segs = (
        Segment(0, 10, "we planned the unit together on the first day and agreed on who would teach the opening lesson to the two sections", -0.3, 0.1),
        Segment(10, 20, "then the team looked at the exit tickets from the week and sorted them into three piles for the next lesson plan", -1.4, 0.1),
        Segment(20, 30, "and then the other teachers asked how we would know which students needed more time with the fractions work", -1.2, 0.1),
        Segment(65, 75, "then we met again on monday to look at the quiz and decide which groups to pull for the reteach on tuesday", -1.5, 0.1),
    )
    # a multilingual model that heard English: only the confidence is in question
    raw = RawTranscript(segs, 80.0, 40.0, "en", 0.98, "small@x", multilingual=True)
    low_s, problems = checks.judge(raw, MediaSettings())
    assert low_s == 30
    assert [p.code for p in problems] == ["low_confidence_transcript"]
    assert problems[0].params["time_ranges"] == "00:10–00:30, 01:05–01:15"
    assert problems[0].params["share"] == "75%"
