"""Script: required phrases heard, forbidden promises not said, from every evidence source.

Evidence sources:

- the pinyin recogniser's timed syllables (``kws-zh`` model) and, when a trusted transcript
  model is installed, its text, both through the pinyin-aware matcher (:mod:`matching`:
  toneless and fuzzy pinyin, negation on pinyin);
- the keyword spotter of the same ``kws-zh`` model, one stream per phrase: on a window around
  every place the matcher saw the phrase at ``window_threshold`` (``window_pad_s`` either side,
  at most ``max_windows`` places per phrase), and, for required phrases the matcher did not see at
  all, over all the speech (``sweep``, ``sweep_per_stream`` to a stream: the streams over one
  span share one encoder pass, ``speech/keywords.py``, and a stream's search costs a small
  share of it, so a recording missing all its phrases costs about what one saying them does;
  where a stream fires, the others of that stream are
  checked there, ``sweep_recheck_per_stream`` to a stream, since the phrase that fired reset
  the stream and may have masked another; with that recheck a phrase whose pinyin contains
  another's may share its stream, ``nested_share``, else they never do), each place it
  proposes then confirmed by the phrase's own stream on a window there.

Each required phrase is **found** when the spotter detects it or a trusted source matches it
with a score of at least ``threshold``; **uncertain** when the best trusted match scores at
least ``uncertain_threshold`` but nothing confirms it; else **missing**.

Forbidden phrases are searched at least as hard (``sweep_forbidden``): the spotter sweeps all
the speech for every one of them (``forbidden_per_stream`` to a stream; where a shared stream
fires, the others of that stream are checked there, ``recheck_per_stream`` to a stream, and
each place is confirmed by the phrase's own stream), and a hit right after a negation the
recogniser heard (不保本) is dropped. With ``one_sweep`` (issue 34, off by default: it
reported fewer forbidden phrases in noise) the unheard required phrases share that sweep's
streams instead of sweeping apart.
The audit asks for the forbidden phrases' sweep before the recogniser starts
(:func:`forbidden_sweep_ask`): it runs beside the recogniser, on its frames as they are made
(``speech/heard.py``), and the check takes its result.
A forbidden phrase is **said** (a high event) when a trusted source matches it (not negated)
at ``threshold``, or at ``window_threshold`` where the spotter hears it too; **heard with
doubt** (a medium event, ``details.uncertain``) when only the spotter's sweep hears it.
Matcher-only matches at ``uncertain_threshold`` that no spotter search hears are listed in the
details only. Every threshold is recorded in the result.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from dualrec_audit.core.i18n import NO_TRANSCRIPT, event_message
from dualrec_audit.core.result import CheckResult, Event, Text, Word, seconds_of
from dualrec_audit.media.sound import SAMPLE_RATE, Audio
from dualrec_audit.speech.heard import SpotAsk
from dualrec_audit.speech.matching import PhraseMatch, PhraseMatcher, TranscriptIndex, negated_at
from dualrec_audit.speech.phrases import Phrase, PhraseSet

if TYPE_CHECKING:
    from dualrec_audit.speech.sherpa import PinyinEngine, SpotHit

log = logging.getLogger(__name__)


MASK_S = 3.0  # after a shared sweep stream fires, how long a phrase said next may be masked


@dataclass(frozen=True)
class ScriptParams:
    """How phrases are verified (the match threshold is ``AuditOptions.match_threshold``)."""

    uncertain_threshold: float = 0.7  # a match this good without confirmation: uncertain
    # (0.7: a 3-syllable phrase with one syllable lost, 0.67, is not even uncertain: 我确认 ~ 我认)
    window_threshold: float = 0.6  # a match this good is shown to the spotter (a window)
    kws_threshold: float = 0.25  # the spotter's trigger probability
    kws_boost: float = 1.0  # the spotter's per-token boost (keywords_score)
    window_pad_s: float = 1.0  # spotter window around a matched place, each side
    max_windows: int = 3  # places per phrase the spotter checks
    sweep: bool = True  # spotter over all the speech for required phrases not matched
    # Required phrases sharing one sweep stream: 64 (issue 34; was 8), so that a recording
    # missing its phrases costs about one stream more than one saying them.
    sweep_per_stream: int = 64
    # Where the required phrases' sweep fires, the others of its stream are checked there in
    # streams of this many (0: never; see ``recheck_per_stream``): with 64 to a stream, a
    # phrase said just after another that fired was lost (issue 34, tuning split at 0 dB).
    sweep_recheck_per_stream: int = 8
    # Where the required phrases' sweep rechecks the others of a stream that fired, a phrase
    # inside another may share its stream (the recheck finds the one the other masked):
    # fund_sale's 20 required alternatives in one stream, not two
    # (投资有风险 ⊂ 基金投资有风险, 清楚 ⊂ 我清楚风险).
    nested_share: bool = True
    # The spotter over all the speech for every forbidden phrase too (negated hits dropped):
    # what it alone hears is a doubtful forbidden phrase (medium), what the matcher also half-
    # heard there is a forbidden phrase.
    sweep_forbidden: bool = True
    # Forbidden phrases sharing one sweep stream: 2. Issue 34 measured 64 (one stream for
    # all) with the rechecks below at 8: 2 of 16 forbidden phrases lost on the held-out split
    # at 0 dB hum (docs/speed.md); the small streams' own-stream rechecks find them.
    forbidden_per_stream: int = 2
    # One sweep for both (issue 34, off): the unheard required phrases join the forbidden
    # ones' streams (``forbidden_per_stream`` to a stream, checked as the forbidden sweep
    # checks them). Not where a guided recording swept the forbidden phrases live.
    one_sweep: bool = False
    # Where a forbidden sweep stream fires, the others of its stream are checked there in
    # streams of this many (1: each by its own stream; more: one stream of the others, each
    # place it proposes confirmed by the phrase's own stream).
    recheck_per_stream: int = 1
    kws_paths: int = 4  # the spotter's beam (search paths kept at each frame)
    # A guided recording's live sweep (``record/``) of the forbidden phrases: this many to a
    # stream (its alarms come from its streams alone: a phrase said just after another that
    # fired in a shared stream would go untold), and the audit takes those streams.
    live_per_stream: int = 2
    # A phrase the recogniser heard with confidence is found; True: the spotter (the same
    # acoustic model, another search) also checks that place, for a second engine in the
    # evidence (it never changes the verdict, and costs the spotter's load and its windows).
    confirm_found: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SweptLive:
    """The forbidden phrases' sweep (:func:`forbidden_groups`' shared streams) run as the sound
    arrived, in a guided recording (``record/``): the audit takes its detections instead of
    sweeping the saved file again, and confirms each on the file as it confirms its own. Not
    taken (the file is swept, as ``check`` does) when it stopped before the sound's end or
    when the recognisers hear some spans enhanced (``stale``), which it did not."""

    groups: tuple[tuple[str, ...], ...]
    hits: tuple[SpotHit, ...]
    until_s: float  # the sound it heard, from the recording's start
    stale: tuple[tuple[float, float], ...] = ()


def forbidden_groups(
    engine: PinyinEngine, phrases: Sequence[Phrase], params: ScriptParams
) -> list[list[str]]:
    """The spotter streams a guided recording sweeps the forbidden phrases with as the sound
    arrives (every alternative, ``live_per_stream`` to a stream)."""
    from dualrec_audit.speech.sherpa import stream_groups

    texts = list(dict.fromkeys(alt for ph in phrases for alt in ph.alternatives))
    return stream_groups(engine, texts, params.live_per_stream)


@dataclass
class _Source:
    engine: str  # "<model>:recogniser" or "<model>:transcript"
    index: TranscriptIndex
    trusted: bool


@dataclass
class _Verdict:
    status: str  # found | uncertain | missing
    match: dict[str, Any] | None
    engines: list[str] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)


def _sources(
    transcript: CheckResult, words: Sequence[Word], syllables: Sequence[Word], engine: Any
) -> list[_Source]:
    out = []
    if engine is not None:
        out.append(
            _Source(f"{engine.name}:recogniser", TranscriptIndex.from_syllables(syllables), True)
        )
    if transcript.status != "unavailable" and words:
        name = str(transcript.details.get("model", "transcript"))
        index = TranscriptIndex.from_words(words)
        out.append(_Source(f"{name}:transcript", index, transcript.status == "ok"))
    return out


def _match_dict(m: PhraseMatch, engine: str) -> dict[str, Any]:
    return {**m.to_dict(), "engine": engine}


def _hit_dict(h: SpotHit, engine: str) -> dict[str, Any]:
    return {"phrase": h.key, "start": round(h.start, 2), "end": round(h.end, 2), "engine": engine}


class _Verifier:
    """Runs the matcher on every source and asks the spotter about what it saw."""

    def __init__(
        self,
        sources: list[_Source],
        engine: PinyinEngine | None,
        audio: Audio | None,
        regions: Sequence[tuple[float, float]],
        threshold: float,
        params: ScriptParams,
        live: SweptLive | None = None,
    ) -> None:
        self.sources = sources
        self.live = live
        self.used_live = False  # the live sweep's detections were taken
        self.engine = engine if audio is not None else None
        self.audio = audio
        self.regions = regions
        self.threshold = threshold
        self.p = params
        lowest = min(threshold, params.uncertain_threshold, params.window_threshold)
        self.loose = PhraseMatcher(lowest)

    @property
    def spotter(self) -> str:
        assert self.engine is not None
        return f"{self.engine.name}:spotter"

    def occurrences(
        self, phrase: Phrase, *, skip_negated: bool
    ) -> list[tuple[PhraseMatch, _Source]]:
        out = []
        for src in self.sources:
            for m in self.loose.find_all(phrase.alternatives, src.index, skip_negated=skip_negated):
                out.append((m, src))
        out.sort(key=lambda ms: -ms[0].score)
        return out

    def spot_windows(self, occurrences: list[tuple[PhraseMatch, _Source]]) -> list[SpotHit]:
        if self.engine is None or not occurrences:
            return []
        pad = self.p.window_pad_s
        requests = [
            (m.phrase, m.start - pad, m.end + pad) for m, _ in occurrences[: self.p.max_windows]
        ]
        assert self.audio is not None
        return self._spot(requests)

    def _spot(self, requests: Sequence[tuple[str, float, float]]) -> list[SpotHit]:
        """Each request ``(phrase, start, end)`` by the phrase's own stream."""
        assert self.engine is not None and self.audio is not None
        return self.engine.spot(
            self.audio,
            requests,
            threshold=self.p.kws_threshold,
            boost=self.p.kws_boost,
            paths=self.p.kws_paths,
        )

    def sweep(
        self,
        phrases: Sequence[Phrase],
        *,
        on: bool | None = None,
        recheck: int = 0,
        nested: bool = False,
        per_stream: int | None = None,
        live: SweptLive | None = None,
    ) -> dict[str, list[SpotHit]]:
        """The spotter over all the speech, for each alternative of these phrases (``on``:
        whether to sweep, default ``params.sweep``). ``recheck`` (0: never): where a shared
        stream fires, the others of that stream are checked there, ``recheck`` to a stream (a
        phrase that fired and reset the stream can mask another said there or just after it;
        :meth:`_recheck`; ``nested``: a phrase inside another may then share its stream).
        ``live``: these streams' detections made as the sound arrived, taken instead of
        sweeping."""
        on = self.p.sweep if on is None else on
        if self.engine is None or not phrases or not on or not self.regions:
            return {}
        from dualrec_audit.speech.sherpa import stream_groups

        texts = list(dict.fromkeys(alt for ph in phrases for alt in ph.alternatives))
        per = per_stream or self.p.sweep_per_stream
        groups = stream_groups(self.engine, texts, per, nested=nested and recheck > 0)
        hits = self._shared(groups, live)
        # A shared stream only proposes: each place is confirmed by the phrase's own stream.
        pad = self.p.window_pad_s
        asked = [(h.key, h.start - pad, h.end + pad) for h in hits]
        if recheck > 0:
            asked += self._recheck(groups, hits, recheck)
        confirmed = self._spot(asked)
        out: dict[str, list[SpotHit]] = {}
        for h in sorted(confirmed, key=lambda x: x.start):
            same = out.setdefault(h.key, [])
            if not (same and h.start <= same[-1].end):  # one place confirmed twice: once
                same.append(h)
        return out

    def _recheck(
        self, groups: list[list[str]], hits: Sequence[SpotHit], per: int
    ) -> list[tuple[str, float, float]]:
        """Where a shared stream fired, the others of its stream from there to MASK_S after
        it (the phrase that fired reset the stream: one said there or just after may have
        been masked): each by its own stream (``per`` 1), else in streams of ``per`` of the
        others, whose detections are returned to be confirmed by their own streams."""
        group_of = {"".join(t.split()): g for g in groups for t in g}
        pad = self.p.window_pad_s
        others = [([t for t in group_of.get(h.key, []) if t != h.key], h) for h in hits]
        if per <= 1 or all(len(ts) <= 1 for ts, _ in others):  # own streams (2 to a stream)
            return [(t, h.start - pad, h.end + MASK_S) for ts, h in others for t in ts]
        assert self.engine is not None and self.audio is not None
        from dualrec_audit.speech.sherpa import stream_groups

        asked = [
            (g, h.start - pad, h.end + MASK_S)
            for ts, h in others
            for g in stream_groups(self.engine, ts, per)
        ]
        again = self.engine.spot_groups(
            self.audio,
            asked,
            threshold=self.p.kws_threshold,
            boost=self.p.kws_boost,
            paths=self.p.kws_paths,
        )
        return [(h.key, h.start - pad, h.end + pad) for h in again]

    def _shared(self, groups: list[list[str]], live: SweptLive | None) -> list[SpotHit]:
        """What the shared streams hear over all the speech: taken from ``live`` where it
        swept these very streams over all the sound as the recognisers hear it (nothing
        enhanced), else swept here (a stream started half way is not the stream that ran
        through: it may fire on a phrase's tail)."""
        assert self.engine is not None and self.audio is not None
        a, b = self._span()
        if live is not None and self._usable(live, groups):
            self.used_live = True
            return [h for h in live.hits if h.end >= a and h.start <= b]
        ask = self._ask(groups)
        return self.engine.spot_groups(
            self.audio,
            ask.requests,
            threshold=ask.threshold,
            boost=ask.boost,
            paths=ask.paths,
        )

    def _ask(self, groups: list[list[str]]) -> SpotAsk:
        """The spotter search of shared streams over all the speech."""
        a, b = self._span()
        p = self.p
        requests = tuple((tuple(g), a, b) for g in groups)
        return SpotAsk(requests, p.kws_threshold, p.kws_boost, p.kws_paths)

    def forbidden_ask(self, phrases: Sequence[Phrase]) -> SpotAsk | None:
        """The spotter search the forbidden phrases' sweep will make (:func:`_sweeps`), or
        None (no sweep, the live one taken, or ``one_sweep``, whose streams wait for the
        required phrases' verdicts)."""
        p = self.p
        if self.engine is None or not phrases or not p.sweep_forbidden or not self.regions:
            return None
        if p.one_sweep or self.takes_live(phrases, say=False):  # said when the check asks
            return None
        from dualrec_audit.speech.sherpa import stream_groups

        texts = list(dict.fromkeys(alt for ph in phrases for alt in ph.alternatives))
        per = p.live_per_stream if self.live is not None else p.forbidden_per_stream
        return self._ask(stream_groups(self.engine, texts, per))

    def _span(self) -> tuple[float, float]:
        """All the speech: from the first region's start to the last one's end."""
        return min(r[0] for r in self.regions) - 0.3, max(r[1] for r in self.regions) + 0.3

    def _usable(self, live: SweptLive, groups: list[list[str]], *, say: bool = True) -> bool:
        """Whether the live sweep ran these very streams over all the sound as the
        recognisers hear it (logged where not, unless ``say`` is False: only asked)."""
        assert self.audio is not None
        end = min(self._span()[1], len(self.audio) / SAMPLE_RATE)
        same = live.groups == tuple(tuple(g) for g in groups)
        if same and not live.stale and live.until_s + 0.1 >= end:
            return True
        if say:
            log.info(
                "the live sweep is not taken (%s): the file is swept",
                "other streams" if not same else "enhanced spans" if live.stale else "cut short",
            )
        return False

    def takes_live(self, forbidden: Sequence[Phrase], *, say: bool = True) -> bool:
        """Whether the forbidden phrases' sweep will be the live one (:meth:`_shared`; ``say``:
        log why not)."""
        if self.live is None or self.engine is None or not self.regions or not forbidden:
            return False
        if not self.p.sweep_forbidden:
            return False
        groups = forbidden_groups(self.engine, forbidden, self.p)
        return self._usable(self.live, groups, say=say)

    def sweep_forbidden(
        self, phrases: Sequence[Phrase], swept: dict[str, list[SpotHit]] | None = None
    ) -> dict[str, list[SpotHit]]:
        """Every forbidden phrase swept for over all the speech (:meth:`sweep`; ``swept``:
        that sweep's detections, already made with other phrases), by phrase text; a hit
        where a source heard a negation right before it (不保本: the disclosure) is
        dropped."""
        if swept is None:  # a live sweep's streams where one was made (it may be taken)
            per = self.p.live_per_stream if self.live is not None else self.p.forbidden_per_stream
            swept = self.sweep(
                phrases,
                on=self.p.sweep_forbidden,
                recheck=self.p.recheck_per_stream,
                per_stream=per,
                live=self.live,
            )
        out: dict[str, list[SpotHit]] = {}
        for ph in phrases:
            for alt in ph.alternatives:
                for h in swept.get("".join(alt.split()), []):
                    if self.negated(h, alt):
                        log.debug("spotter hit %s at %.2f s is negated: dropped", alt, h.start)
                    else:
                        out.setdefault(ph.text, []).append(h)
        return out

    def negated(self, hit: SpotHit, phrase: str) -> bool:
        """Whether a source heard a negation right before the spotter's hit."""
        return any(negated_at(s.index, hit.start, phrase) for s in self.sources)

    def required(self, phrase: Phrase, swept: Sequence[SpotHit] = ()) -> _Verdict:
        occ = self.occurrences(phrase, skip_negated=False)
        trusted = [(m, s) for m, s in occ if s.trusted]
        confident = [(m, s) for m, s in trusted if m.score >= self.threshold]
        # Heard with confidence: found, the spotter is not asked (unless confirm_found: that
        # place only); else it checks each place the recogniser half-heard.
        shown = (confident[:1] if self.p.confirm_found else []) if confident else occ
        hits = [*self.spot_windows(shown), *swept]
        evidence = [_match_dict(m, s.engine) for m, s in occ[: self.p.max_windows]]
        evidence += [_hit_dict(h, self.spotter) for h in hits]
        engines = sorted({s.engine for _, s in confident} | {self.spotter for _ in hits[:1]})
        if confident:
            m, s = confident[0]
            return _Verdict("found", _match_dict(m, s.engine), engines, evidence)
        if hits:
            h = min(hits, key=lambda x: x.start)
            match = {"phrase": h.key, "text": h.key, "score": None, "method": "spotter"}
            match.update(_hit_dict(h, self.spotter))
            return _Verdict("found", match, engines, evidence)
        if trusted and trusted[0][0].score >= self.p.uncertain_threshold:
            m, s = trusted[0]
            return _Verdict("uncertain", _match_dict(m, s.engine), [], evidence)
        return _Verdict("missing", None, [], evidence)

    def forbidden(
        self, phrase: Phrase, swept: Sequence[SpotHit] = ()
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        """(occurrences said, doubtful ones, uncertain ones) of a forbidden phrase.

        Said: a trusted source matches it at ``threshold``, or half-hears it
        (``window_threshold``) where the spotter hears it too. Doubtful: the spotter's sweep
        alone hears it (``swept``, negated hits already dropped). Uncertain: a trusted
        source's ``uncertain_threshold`` match that no spotter search hears, listed only (a
        one-syllable miss is often the meaning: 投资有风险 is 0.75 of 没有风险)."""
        occ = [(m, s) for m, s in self.occurrences(phrase, skip_negated=True) if s.trusted]
        sure: list[dict[str, Any]] = []
        unsure: list[dict[str, Any]] = []
        for m, s in sorted(occ, key=lambda ms: ms[0].start):
            if _overlapping(m.start, m.end, sure):
                continue  # the same place, already reported from another source
            said = _match_dict(m, s.engine)
            if m.score >= self.threshold:
                sure.append(said)
            elif any(_overlapping(h.start, h.end, [said]) for h in swept) or self.spot_windows(
                [(m, s)]
            ):
                sure.append({**said, "engine": self.spotter})
            elif m.score >= self.p.uncertain_threshold:
                unsure.append(said)
        doubtful: list[dict[str, Any]] = []
        for h in swept:
            if _overlapping(h.start, h.end, sure + doubtful):
                continue
            hit = {"text": h.key, "score": None, "method": "spotter", **_hit_dict(h, self.spotter)}
            doubtful.append(hit)
        unsure = [u for u in unsure if not _overlapping(u["start"], u["end"], sure + doubtful)]
        return sure, doubtful, unsure


def _sweeps(
    v: _Verifier,
    unheard: Sequence[Phrase],
    forbidden: Sequence[Phrase],
) -> tuple[dict[str, list[SpotHit]], dict[str, list[SpotHit]]]:
    """The spotter's sweeps over all the speech: (forbidden phrases' detections by phrase,
    unheard required phrases' detections by alternative). ``one_sweep`` (and no live sweep
    to take): both in one sweep's streams; else the required ones' sweep, then the
    forbidden ones'."""
    p = v.p
    if not p.one_sweep or v.takes_live(forbidden):
        required = v.sweep(unheard, recheck=p.sweep_recheck_per_stream, nested=p.nested_share)
        return v.sweep_forbidden(forbidden), required
    both = [*(unheard if p.sweep else ()), *(forbidden if p.sweep_forbidden else ())]
    swept = v.sweep(both, on=True, recheck=p.recheck_per_stream, per_stream=p.forbidden_per_stream)
    return v.sweep_forbidden(forbidden, swept if p.sweep_forbidden else {}), swept


def forbidden_sweep_ask(
    engine: PinyinEngine | None,
    audio: Audio | None,
    regions: Sequence[tuple[float, float]],
    forbidden: Sequence[Phrase],
    params: ScriptParams | None = None,
    swept_live: SweptLive | None = None,
) -> SpotAsk | None:
    """The spotter search :func:`run_script_check` will make to sweep these forbidden phrases
    over all the speech (None: it makes none): asked for ahead, the engine runs it beside the
    recogniser (:meth:`PinyinEngine.syllables`), and the check takes its result."""
    v = _Verifier([], engine, audio, regions, 1.0, params or ScriptParams(), swept_live)
    return v.forbidden_ask(forbidden)


def _overlapping(start: float, end: float, places: Sequence[dict[str, Any]]) -> bool:
    return any(float(d["start"]) <= end and start <= float(d["end"]) for d in places)


def run_script_check(
    transcript: CheckResult,
    words: Sequence[Word],
    phrases: PhraseSet,
    duration_s: float,
    *,
    threshold: float = 0.8,
    engine: PinyinEngine | None = None,
    syllables: Sequence[Word] = (),
    audio: Audio | None = None,
    regions: Sequence[tuple[float, float]] = (),
    params: ScriptParams | None = None,
    unavailable_reason: Text | None = None,
    swept_live: SweptLive | None = None,
) -> CheckResult:
    """Verify the phrases. ``engine``: the pinyin engine (None: the transcript's text alone).
    ``swept_live``: the forbidden phrases' sweep as a guided recording made it."""
    params = params or ScriptParams()
    sources = _sources(transcript, words, syllables, engine if audio is not None else None)
    if not sources:
        return CheckResult.unavailable("script", unavailable_reason or NO_TRANSCRIPT)
    v = _Verifier(sources, engine, audio, regions, threshold, params, swept_live)
    verdicts = {ph.text: v.required(ph) for ph in phrases.required}
    unheard = [ph for ph in phrases.required if verdicts[ph.text].status != "found"]
    swept_forbidden, swept = _sweeps(v, unheard, phrases.forbidden)
    for ph in unheard:
        hits = [h for alt in ph.alternatives for h in swept.get("".join(alt.split()), [])]
        if hits:
            verdicts[ph.text] = v.required(ph, hits)
    events = [_required_event(ph, verdicts[ph.text], duration_s) for ph in phrases.required]
    required = [_required_dict(ph, verdicts[ph.text]) for ph in phrases.required]
    forbidden, uncertain_forbidden = [], []
    n = seconds_of(duration_s)
    timeline: list[float | None] = [1.0] * n
    for ph in phrases.forbidden:
        sure, doubtful, unsure = v.forbidden(ph, swept_forbidden.get(ph.text, []))
        uncertain_forbidden += [{"phrase": ph.text, "match": u} for u in doubtful + unsure]
        events += [_forbidden_event(ph, d, doubtful=True) for d in doubtful]
        for m in sure:
            forbidden.append({"phrase": ph.text, "match": m})
            events.append(_forbidden_event(ph, m))
            for s in range(int(m["start"]), min(n, int(m["end"]) + 1)):
                timeline[s] = 0.0
    trusted = any(s.trusted for s in sources)
    verified_by = sorted({s.engine.split(":")[0] for s in sources if s.trusted})
    return CheckResult(
        name="script",
        status="ok" if trusted else "unverified",
        timeline=tuple(timeline),
        events=tuple(sorted((e for e in events if e is not None), key=lambda e: e.start)),
        reason=None if trusted else transcript.reason,
        details={
            "phrases_source": phrases.source,
            "threshold": threshold,
            "params": params.to_dict(),
            "engines": [s.engine for s in sources]
            + ([f"{engine.name}:spotter"] if engine is not None and audio is not None else []),
            "verified_by": verified_by,
            "required": required,
            "forbidden": forbidden,
            "forbidden_uncertain": uncertain_forbidden,
            **({"forbidden_swept_live": v.used_live} if swept_live is not None else {}),
        },
    )


def _required_dict(phrase: Phrase, v: _Verdict) -> dict[str, Any]:
    return {
        "phrase": phrase.text,
        "status": v.status,
        "found": v.status == "found",
        "match": v.match,
        "engines": v.engines,
        "evidence": v.evidence,
    }


def _required_event(phrase: Phrase, v: _Verdict, duration_s: float) -> Event | None:
    details: dict[str, Any] = {"phrase": phrase.text, "alternatives": list(phrase.alternatives)}
    if v.status == "missing":
        msg = event_message("phrase_missing", phrase=phrase.text)
        return Event("phrase_missing", 0.0, duration_s, "high", msg, details=details)
    if v.status == "uncertain" and v.match is not None:
        msg = Text(
            f"必讲话术未能确认：{phrase.text}",
            f"Required phrase not heard with confidence: {phrase.text}",
        )
        details.update(uncertain=True, match=v.match)
        start, end = float(v.match["start"]), float(v.match["end"])
        return Event("phrase_missing", start, end, "medium", msg, details=details)
    return None


def _forbidden_event(phrase: Phrase, m: dict[str, Any], *, doubtful: bool = False) -> Event:
    """A forbidden phrase said (high), or heard with doubt (medium: a reviewer listens)."""
    details: dict[str, Any] = {"phrase": phrase.text, "match": m}
    if not doubtful:
        msg = event_message("forbidden_phrase", phrase=m["phrase"])
        return Event(
            "forbidden_phrase", float(m["start"]), float(m["end"]), "high", msg, details=details
        )
    msg = Text(
        f"疑似违规表述（请人工听辨）：{m['phrase']}",
        f"Possible forbidden promise (listen to confirm): {m['phrase']}",
    )
    details["uncertain"] = True
    return Event(
        "forbidden_phrase", float(m["start"]), float(m["end"]), "medium", msg, details=details
    )
