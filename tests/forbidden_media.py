"""Recordings with phrases said in several positions, and noisy copies, built at test time.

Each test phrase is a word or a sentence said in one of the real Mandarin clips (the five
``speech_zh`` clips and the keyword model's ``test_wavs`` 3-6, whose words are published with
them). A recording puts that clip in one of three positions:

- ``start``: the recording opens with the clip (its leading silence cut to 50 ms): the
  recogniser and spotter have no speech before it;
- ``mid``: another clip runs straight into it (no gap, the first clip's trailing silence cut):
  the phrase is inside continuous speech;
- ``pause``: another clip, then 2.5 s of silence, then the clip.

Two splits: ``tune`` (the ``speech_zh`` clips, looked at while building the forbidden sweep)
and ``held_out`` (the keyword model's clips, run once for the figures). The phrases are made a
test list's forbidden (and, for the comparison, required) phrases; the truth is which clip says
which phrase.

Noise (:func:`mix_noise`): babble (three other clips summed, each shifted), the machine hum of
``noise/speechbrain_noise1.wav`` and room noise (the far-field clip's background: its quietest
frames, looped) at a given SNR over the speech (speech RMS over its active frames).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .conftest import media, models_root, read_wav

SR = 16000
KWS_MODEL = "kws-zh-3.3m"
KWS_FOLDER = "sherpa-onnx-kws-zipformer-wenetspeech-3.3M-2024-01-01-mobile"
SPEECH_ZH = {
    "wenet_aishell-BAC009S0724W0121.wav": "广州市房地产中介协会分析",
    "firered_BAC009S0764W0121.wav": "甚至出现交易几乎停滞的情况",
    "funasr_asr_example.wav": "欢迎大家来体验达摩院推出的语音识别模型",
    "paddlespeech_zh.wav": "我认为跑步最重要的就是给我带来了身体健康",
}
# Phrases of each split: (clip, phrase said in it, alternatives written in the list).
TUNE = (
    ("wenet_aishell-BAC009S0724W0121.wav", ("广州市",)),
    ("wenet_aishell-BAC009S0724W0121.wav", ("房地产", "房产")),
    ("firered_BAC009S0764W0121.wav", ("几乎停滞",)),
    ("funasr_asr_example.wav", ("欢迎大家",)),
    ("funasr_asr_example.wav", ("达摩院",)),
    ("funasr_asr_example.wav", ("语音识别", "语音辨识")),
    ("paddlespeech_zh.wav", ("身体健康",)),
)
HELD_OUT = (
    ("3.wav", ("文森特卡索",)),
    ("3.wav", ("法国",)),
    ("4.wav", ("蒋友伯",)),
    ("4.wav", ("女儿",)),
    ("5.wav", ("周望军",)),
    ("5.wav", ("落实",)),
    ("6.wav", ("朱丽楠",)),
    ("6.wav", ("见面会",)),
)
# The clip before the target in the mid and pause positions (never one saying a test phrase).
FILLER = {"tune": "2.wav", "held_out": "firered_IT0011W0001.wav"}
POSITIONS = ("start", "mid", "pause")
PAUSE_S = 2.5
# Said in the clips but negated on pinyin: 跑步最重要 reads "pao bu zui zhong yao", and bu
# before 最重要 is 不 to a pinyin matcher (不最重要): never reported.
NEGATED = ("paddlespeech_zh.wav", "最重要")


@dataclass(frozen=True)
class Case:
    split: str
    position: str
    clip: str  # the target clip's name
    phrase: tuple[str, ...]  # alternatives, the first is the one said
    audio: np.ndarray
    start: float  # the target clip's speech in the recording
    end: float


def clip(name: str) -> np.ndarray:
    if name.endswith(".wav") and name[0].isdigit():
        return read_wav(models_root(KWS_MODEL) / KWS_FOLDER / "test_wavs" / name)
    return read_wav(media(f"speech_zh/{name}"))


def speech_span(x: np.ndarray) -> tuple[float, float]:
    """Where a clip's speech is: 30 ms frames within 25 dB of its loudest and 15 dB above its
    noise floor (the 10th percentile)."""
    frames = x[: len(x) // 480 * 480].reshape(-1, 480)
    level = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
    floor = np.percentile(level, 10)
    loud = np.flatnonzero(level > max(level.max() - 25, floor + 15))
    return loud[0] * 0.03, (loud[-1] + 1) * 0.03


def _trimmed(x: np.ndarray, head: bool, tail: bool) -> tuple[np.ndarray, float, float]:
    """The clip with its leading and/or trailing silence cut to 50 ms, and where its speech is
    in what is left (measured on the whole clip: a cut clip has no silence to measure the
    noise floor on)."""
    a, b = speech_span(x)
    lo = max(0, int((a - 0.05) * SR)) if head else 0
    hi = min(len(x), int((b + 0.05) * SR)) if tail else len(x)
    return x[lo:hi], a - lo / SR, b - lo / SR


def build_case(split: str, position: str, name: str, phrase: tuple[str, ...]) -> Case:
    target = clip(name)
    silence = np.zeros(SR, np.float32)
    if position == "start":
        head, a, b = _trimmed(target, head=True, tail=False)
        parts, at = [head, silence, clip(FILLER[split]), silence], 0.0
    else:
        filler = clip(FILLER[split])
        if position == "mid":
            lead = _trimmed(filler, head=False, tail=True)[0]
            head, a, b = _trimmed(target, head=True, tail=False)
        else:
            lead = np.concatenate([filler, np.zeros(int(PAUSE_S * SR), np.float32)])
            head, (a, b) = target, speech_span(target)
        parts, at = [silence, lead, head, silence], (len(silence) + len(lead)) / SR
    return Case(split, position, name, phrase, np.concatenate(parts), at + a, at + b)


def cases(split: str) -> list[Case]:
    phrases = TUNE if split == "tune" else HELD_OUT
    return [build_case(split, pos, n, ph) for n, ph in phrases for pos in POSITIONS]


def phrases_said(split: str) -> list[tuple[str, ...]]:
    return [ph for _, ph in (TUNE if split == "tune" else HELD_OUT)]


def said_in(case: Case) -> set[str]:
    """The test phrases the recording says (its target clip's; its filler says none)."""
    return {ph[0] for n, ph in TUNE + HELD_OUT if n == case.clip}


# -- negated uses ------------------------------------------------------------------------------

# 不 (bù), cut from 跑步 (pǎo bù) in the PaddleSpeech clip: the same syllable, said by a real
# speaker. Spliced right before a clip that opens with a test phrase, it makes 不广州市,
# 不欢迎大家 …: real speech of the negated phrase, which must never be reported.
BU_SPAN_S = (1.04, 1.27)
OPENS_WITH = {  # the clips that open with a test phrase, and that phrase
    "tune": (
        ("wenet_aishell-BAC009S0724W0121.wav", "广州市"),
        ("funasr_asr_example.wav", "欢迎大家"),
    ),
    "held_out": (
        ("3.wav", "文森特卡索"),
        ("4.wav", "蒋友伯"),
        ("5.wav", "周望军"),
        ("6.wav", "朱丽楠"),
    ),
}


def negated_cases(split: str) -> list[Case]:
    """Each clip that opens with a test phrase, with 不 spliced before it (after another clip
    and 0.6 s of silence)."""
    bu = clip("paddlespeech_zh.wav")[int(BU_SPAN_S[0] * SR) : int(BU_SPAN_S[1] * SR)]
    out = []
    for name, phrase in OPENS_WITH[split]:
        lead = np.concatenate([clip(FILLER[split]), np.zeros(int(0.6 * SR), np.float32), bu])
        head, a, b = _trimmed(clip(name), head=True, tail=False)
        at = (SR + len(lead)) / SR
        audio = np.concatenate([np.zeros(SR, np.float32), lead, head, np.zeros(SR, np.float32)])
        out.append(Case(split, "negated", name, (phrase,), audio, at + a, at + b))
    return out


# -- noise -----------------------------------------------------------------------------------


def _active_rms(x: np.ndarray) -> float:
    frames = x[: len(x) // 480 * 480].reshape(-1, 480).astype(np.float64)
    level = np.mean(frames**2, axis=1)
    loud = level[level > level.max() * 10 ** (-25 / 10)]
    return float(np.sqrt(np.mean(loud))) if loud.size else 0.0


def noise_bed(n: int, kind: str, seed: int = 0) -> np.ndarray:
    """``n`` samples of real noise: ``babble`` (three speech clips summed, shifted and
    looped), ``hum`` (the machine hum file) or ``room`` (the far-field clip's quietest frames,
    looped)."""
    rng = np.random.default_rng(seed)
    if kind == "hum":
        src = read_wav(media("noise/speechbrain_noise1.wav"))
        at = int(rng.integers(0, max(1, len(src) - n)))
        return np.resize(src[at:], n).astype(np.float32)
    if kind == "room":
        far = read_wav(media("speech_zh/firered_IT0011W0001.wav"))
        frames = far[: len(far) // 480 * 480].reshape(-1, 480)
        quiet = frames[np.argsort(np.mean(frames**2, axis=1))[: len(frames) // 3]]
        return np.resize(quiet.reshape(-1), n).astype(np.float32)
    voices = [clip(x) for x in ("0.wav", "1.wav", "firered_IT0011W0001.wav")]
    out = np.zeros(n, np.float32)
    for v in voices:
        out += np.roll(np.resize(v, n), int(rng.integers(0, n)))
    return out


def _unit(x: np.ndarray) -> np.ndarray:
    return x / (float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) + 1e-12)


def mix_noise(
    speech: np.ndarray,
    snr_db: float,
    kind: str,
    seed: int = 0,
    span: tuple[float, float] | None = None,
) -> np.ndarray:
    """``speech`` with ``kind`` noise at ``snr_db`` (active speech RMS over noise RMS);
    ``branch``: babble, hum and room noise at equal power (a branch office). ``span``
    (seconds): the SNR is that of the speech there (the target clip's), not of the whole
    recording, whose loudest clip sets the level (clips differ by up to 24 dB)."""
    if kind == "branch":
        beds = [_unit(noise_bed(len(speech), k, seed)) for k in ("babble", "hum", "room")]
        noise = np.sum(beds, axis=0).astype(np.float32)
    else:
        noise = noise_bed(len(speech), kind, seed)
    ref = speech if span is None else speech[int(span[0] * SR) : int(span[1] * SR)]
    gain = _active_rms(ref) / (float(np.sqrt(np.mean(noise.astype(np.float64) ** 2))) + 1e-12)
    mixed = speech + noise * np.float32(gain * 10 ** (-snr_db / 20))
    peak = float(np.max(np.abs(mixed)))
    return (mixed / peak * 0.9 if peak > 0.99 else mixed).astype(np.float32)
