"""The layer-1 audit pipeline: one recording in, an :class:`AuditResult` out.

``AuditPipeline(options).apply(path, hook)`` probes the file, decodes the sampled frames once
for the frame checks (faces, video quality), reads the audio once for the speech, transcript
and script checks, and combines the timelines into ranked low-score segments. Models are
located and checked when the pipeline is built, and loaded once per process (the script
engine, when its files match their pinned sha256, in the sound thread of the first audit). The
sound is spooled to a temporary file and read a block or a speech region at a time, so memory
does not grow with the recording's length.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from dualrec_audit import __version__
from dualrec_audit.audit.layer1 import (
    damage_events,
    default_decision,
    overall_score,
    pinyin_only,
    talk_of,
    track_events,
    with_events,
)
from dualrec_audit.audit.threads import Relay, stop_if_set
from dualrec_audit.checks import FrameCheck, opencv_threads
from dualrec_audit.checks.documents import DocumentParams, DocumentsCheck, DocumentSpec
from dualrec_audit.checks.face_detect import Face
from dualrec_audit.checks.faces import FaceParams, FacesCheck, PartyState
from dualrec_audit.checks.identity import IdentityCheck, IdentityParams, papers_in, with_cards
from dualrec_audit.checks.script import (
    ScriptParams,
    SweptLive,
    forbidden_sweep_ask,
    run_script_check,
)
from dualrec_audit.checks.speech import (
    SpeechAnalysis,
    SpeechParams,
    run_speech_check,
    voice_frames,
)
from dualrec_audit.checks.talk import MouthTracker, TalkParams
from dualrec_audit.checks.talk_gate import VoiceGate
from dualrec_audit.checks.talk_hum import TalkVoice, talk_voice, with_denoised
from dualrec_audit.checks.talk_voice import VoiceTurns, turn_voices
from dualrec_audit.checks.transcript import run_transcript_check
from dualrec_audit.checks.video import VideoParams, VideoQualityCheck
from dualrec_audit.core.errors import ConfigError, MediaError, ModelError
from dualrec_audit.core.paths import display_path, without_name
from dualrec_audit.core.result import (
    AuditError,
    AuditResult,
    CheckResult,
    MediaInfo,
    Text,
    Word,
    merge_segments,
    sort_events,
)
from dualrec_audit.media.frames import picture_holes, prefetch, sample_frames
from dualrec_audit.media.plan import DecodePlan, decode_plan
from dualrec_audit.media.probe import check_file, probe
from dualrec_audit.media.sound import (
    SAMPLE_RATE,
    AudioTrack,
    choose_audio_track,
    decode_audio_tracks,
)
from dualrec_audit.media.threads import usable_cores
from dualrec_audit.models.registry import ModelStore, sha256_file
from dualrec_audit.rules.assign import ProfileChoice, with_choice
from dualrec_audit.rules.decide import decide
from dualrec_audit.rules.profiles import Profile, all_profiles, profile_info
from dualrec_audit.speech.enhance import EnhanceParams, enhanced_view
from dualrec_audit.speech.enhance import version as enhancer_version
from dualrec_audit.speech.phrases import PhraseSet, load_phrases
from dualrec_audit.speech.select import SyllableTranscript, script_engine, transcript_model
from dualrec_audit.speech.transcriber import WhisperOptions
from dualrec_audit.speech.voice import VOICE_MODEL, blas_threads
from dualrec_audit.vision import face_id, ocr

log = logging.getLogger(__name__)

# hook(stage, done, total): stage is one of STAGES; done/total in that stage's own units.
ProgressHook = Callable[[str, float, float], None]
STAGES = ("probe", "frames", "audio", "transcript", "script", "rules")


@dataclass(frozen=True)
class AuditOptions:
    """Every parameter of an audit; recorded in each result."""

    sample_fps: float = 2.0
    decode: str = "auto"  # "auto": the cheapest decoding for the file; "exact": every frame
    language: str = "zh"
    asr_model: str = "auto"  # transcript: a model name, a model folder, "auto" or "none"
    script_model: str = "auto"  # phrase verification: a kws-zh model name, "auto" or "none"
    profile: str | None = "fund_sale"  # business profile id; None: layer-1 default decision
    profiles_dir: str | None = None  # a folder of user profiles (added to the built-in ones)
    phrases: str | None = None  # phrase file for layer 1 alone (only without a profile)
    match_threshold: float = 0.8
    segment_threshold: float = 0.6
    faces: FaceParams = field(default_factory=FaceParams)
    speech: SpeechParams = field(default_factory=SpeechParams)
    video: VideoParams = field(default_factory=VideoParams)
    documents: DocumentParams = field(default_factory=DocumentParams)
    whisper: WhisperOptions = field(default_factory=WhisperOptions)
    script: ScriptParams = field(default_factory=ScriptParams)
    talk: TalkParams = field(default_factory=TalkParams)
    enhance: EnhanceParams = field(default_factory=EnhanceParams)
    identity: IdentityParams = field(default_factory=IdentityParams)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _noop(stage: str, done: float, total: float) -> None:
    pass


class AuditPipeline:
    def __init__(self, options: AuditOptions | None = None, models_dir: Path | str | None = None):
        self.options = options or AuditOptions()
        self.store = ModelStore(models_dir)
        self.detector = self.store.locate("yunet")
        self.landmarker = self.store.locate("face_landmarker")
        self.transcriber, self.no_asr_reason = transcript_model(
            self.store, self.options.asr_model, self.options.whisper
        )
        self.engine, self.no_script_reason = script_engine(self.store, self.options.script_model)
        self.face_id, self.no_face_id = face_id.locate(self.store)
        o = self.options
        if o.talk.enabled and o.talk.voice:
            blas_threads()  # found here, before any thread of the audit loads a library
        if o.decode not in ("auto", "exact"):
            raise ConfigError(f"unknown decode mode '{o.decode}'. Valid: auto, exact")
        if o.profile is not None and o.phrases is not None:
            raise ConfigError("give either a business profile or a phrase file, not both")
        self.profiles = all_profiles(Path(o.profiles_dir) if o.profiles_dir else None)
        if o.profile is not None and o.profile not in self.profiles:
            raise ConfigError(
                f"unknown profile '{o.profile}'. Valid ids: {', '.join(sorted(self.profiles))}"
            )
        self.phrases = load_phrases(Path(o.phrases) if o.phrases else None)

    @property
    def models(self) -> dict[str, str]:
        out = {"yunet": self.detector.version, "face_landmarker": self.landmarker.version}
        if self.transcriber is not None:
            out[self.transcriber.name] = self.transcriber.version
        if self.engine is not None:
            out[self.engine.name] = self.engine.version
        if self.face_id is not None:
            out["dlib-face-id"] = self.face_id.version
        talk = self.options.talk
        if talk.enabled and talk.voice and self.store.find_root(VOICE_MODEL) is not None:
            out[VOICE_MODEL] = self.store.spec(VOICE_MODEL).version  # each turn's voice
        if talk.enabled and talk.denoise and (dfn := enhancer_version()) is not None:
            out["deepfilternet3"] = dfn  # the noisy spans' voice frames (talk_hum)
        return out

    def profile_for(self, profile_id: str | None) -> Profile | None:
        pid = profile_id or self.options.profile
        if pid is None:
            return None
        if pid not in self.profiles:
            raise ConfigError(
                f"unknown profile '{pid}'. Valid ids: {', '.join(sorted(self.profiles))}"
            )
        return self.profiles[pid]

    def apply(
        self,
        path: Path | str,
        hook: ProgressHook | None = None,
        profile: str | None = None,
        chosen_by: ProfileChoice | None = None,
        looked: Looked | None = None,
    ) -> AuditResult:
        """Audit one recording, under ``profile`` (default: the options' profile), recording
        ``chosen_by`` (why that profile) with it.

        ``looked``: its frames were already checked as it was recorded (a guided recording,
        ``record/``): those checks are finished instead of decoding the frames again.
        Media problems and an unknown per-file profile give a result with
        ``decision == "error"``."""
        path = Path(path)
        hook = hook or _noop
        try:
            prof = self.profile_for(profile)
        except ConfigError as exc:
            return self.error_result(path, "unknown_profile", exc.message)
        base = self._blank(path, prof)
        try:
            result = self._apply(path, hook, base, prof, looked)
        except MediaError as exc:
            log.warning("%s: %s", path, without_name(exc.message, display_path(path.name)))
            return replace(base, error=AuditError(exc.code, exc.message))
        except (ModelError, ConfigError):
            raise  # the installation or the options are wrong: no file can be audited
        except Exception as exc:  # a bug must not stop a batch: record it for this file
            log.exception("%s: internal error", path)
            return replace(
                base,
                error=AuditError("internal_error", f"internal error: {type(exc).__name__}: {exc}"),
            )
        if prof is None:
            return result
        verdict = decide(result, prof)
        hook("rules", 1, 1)
        return replace(
            result,
            profile=with_choice(result.profile, chosen_by),
            decision=verdict.decision,
            score=verdict.score,
            findings=verdict.findings,
            stages=verdict.stages,
            documents=verdict.documents,
        )

    def _blank(self, path: Path | str, profile: Profile | None = None) -> AuditResult:
        """A result with the run's provenance and nothing audited yet (decision error)."""
        return AuditResult(
            file=display_path(path),
            tool_version=__version__,
            sha256=None,
            duration_s=0.0,
            decision="error",
            score=0.0,
            models=self.models,
            options=self.options.to_dict(),
            profile=None if profile is None else profile_info(profile),
        )

    def error_result(self, path: Path | str, code: str, message: str) -> AuditResult:
        """The result recorded for a file that could not be audited."""
        return replace(self._blank(path), error=AuditError(code, message))

    def _apply(
        self,
        path: Path,
        hook: ProgressHook,
        base: AuditResult,
        profile: Profile | None,
        looked: Looked | None = None,
    ) -> AuditResult:
        o = self.options
        hook("probe", 0, 1)
        if self.engine is not None:
            self.engine.warm_up()  # loading while the file is probed and its frames set up
        check_file(path)
        info = probe(path)
        phrases = profile.phrase_set() if profile is not None else self.phrases
        # The sound (decode, speech check, recogniser, transcript, phrase verification) is
        # heard in a thread from here on, while the frames are checked: the native code of both
        # releases the GIL, so the two share the cores. Its progress reaches the hook from this
        # thread.
        relay, stop, gate = Relay(), threading.Event(), VoiceGate(o.talk)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="audio") as pool:
            live = (looked.syllables, looked.swept) if looked is not None else (None, None)
            heard = pool.submit(self._hear, path, info, phrases, (relay, gate), stop, *live)
            try:
                base, checks, mouths = self._look(path, info, base, profile, hook, looked, gate)
            except BaseException:
                stop.set()  # nobody will read what the sound thread finds
                raise
            sound = relay.wait(heard, hook)
        checks["speech"] = sound.speech
        if mouths is not None:
            syllables = [(w.start, w.end) for w in sound.words]
            snr = sound.analysis.snr_db if sound.analysis is not None else ()
            said = sound.talk_voice
            talk = mouths.finish(info.duration_s, said.frames, syllables, sound.voices, snr)
            checks["talk"] = with_denoised(talk, said)
        checks["transcript"], checks["script"] = sound.transcript, sound.script
        identity = checks.get("identity")
        words = sound.words
        events = sort_events(e for c in checks.values() for e in c.events)
        trusted = {
            k: c.timeline
            for k, c in checks.items()
            if c.status == "ok" and c.timeline and not pinyin_only(c)
        }
        segments = merge_segments(trusted, threshold=o.segment_threshold)
        score = overall_score(trusted, events)
        order = (
            "faces",
            "speech",
            "transcript",
            "script",
            "video",
            "documents",
            "talk",
            "identity",
        )
        return replace(
            base,
            talk=talk_of(checks.get("talk")),
            identity=identity.details["identity"] if identity and identity.available else {},
            decision=default_decision(score, events, checks),
            score=score,
            checks={k: checks[k] for k in order if k in checks},
            events=events,
            segments=tuple(segments),
            transcript=words,
        )

    def _look(
        self,
        path: Path,
        info: MediaInfo,
        base: AuditResult,
        profile: Profile | None,
        hook: ProgressHook,
        looked: Looked | None = None,
        gate: VoiceGate | None = None,
    ) -> tuple[AuditResult, dict[str, CheckResult], MouthTracker | None]:
        """The picture: the file hashed, its decode plan chosen and recorded, then every frame
        check (faces, video, documents when the profile asks; the mouths when the talk check is
        on, near the voice the ``gate`` is told of) over the sampled frames (or, ``looked``,
        the checks run live finished)."""
        o = self.options
        base = replace(base, duration_s=info.duration_s, media=info, sha256=sha256_file(path))
        if looked is not None and looked.checks is not None:
            checks = {c.name: c.finish(info.duration_s) for c in looked.checks}
            gaps = damage_events([], picture_holes(path, info), info.duration_s)
            checks["video"] = with_events(checks["video"], gaps)  # (a camera that stalled)
            if looked.no_documents is not None:
                checks["documents"] = looked.no_documents
            hook("probe", 1, 1)
            hook("frames", info.duration_s, info.duration_s)
            base = replace(base, options={**base.options, "live": looked.figures})
            return base, checks, looked.mouths
        # The mouths are watched o.talk.fps times a second: key frames alone would not do.
        plan_fps = max(o.sample_fps, o.talk.fps) if o.talk.enabled else o.sample_fps
        plan = decode_plan(path, info, plan_fps, exact=o.decode == "exact")
        live = {"live": looked.figures} if looked is not None else {}
        base = replace(base, options={**base.options, **live, "decode_plan": plan.to_dict()})
        hook("probe", 1, 1)

        frame_checks, mouths, no_docs = self.frame_checks(profile, info)
        if mouths is not None:
            mouths.gate = gate
        faces = frame_checks[0]
        assert isinstance(faces, FacesCheck)
        identity, no_identity = self._identity_check(profile, 1.0 / o.sample_fps)
        if len(frame_checks) > 2:  # the documents check
            base = replace(base, models={**base.models, **ocr.versions()})
        damaged: list[tuple[float, float]] = []
        holes: list[tuple[float, float]] = []
        with opencv_threads(usable_cores()) as threads:
            base = replace(base, options={**base.options, "frame_threads": threads})
            lost = (damaged, holes)
            checks = self._check_frames(
                path, info, frame_checks, lost, plan, hook, mouths=(mouths, faces, identity)
            )
        if no_docs is not None:
            checks["documents"] = no_docs
        if identity is not None:
            checks["identity"], docs = with_cards(
                identity, identity.finish(info.duration_s), checks.get("documents"), info.duration_s
            )
            checks.update({"documents": docs} if docs is not None else {})
        elif no_identity is not None:
            checks["identity"] = no_identity
        checks["video"] = with_events(checks["video"], damage_events(*lost, info.duration_s))
        return base, checks, mouths

    def _check_frames(
        self,
        path: Path,
        info: MediaInfo,
        frame_checks: list[FrameCheck],
        lost: tuple[list[tuple[float, float]], list[tuple[float, float]]],
        plan: DecodePlan,
        hook: ProgressHook,
        *,
        mouths: tuple[MouthTracker | None, FacesCheck, IdentityCheck | None],
    ) -> dict[str, CheckResult]:
        """The sampled frames, decoded a few ahead in a thread, through every frame check.

        The faces (the costliest) are found here; the other checks and the mouth tracker (when
        on: it taps every decoded frame and follows the faces found) take each frame in a second
        thread meanwhile, one frame behind at most, in order, so that all three threads share
        the cores. The identity check follows the faces there too, after the documents check
        (it looks for portraits on the papers held up)."""
        tracker, faces, identity = mouths
        others = [c for c in frame_checks if c is not faces]
        tap = tracker.tap if tracker is not None else None
        frames = sample_frames(
            path, info, self.options.sample_fps, damaged=lost[0], holes=lost[1], plan=plan, tap=tap
        )
        behind: Future[None] | None = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="frame-checks") as side:
            try:
                for t, frame in prefetch(frames):
                    faces.update(t, frame)
                    if behind is not None:
                        behind.result()  # re-raises what went wrong there
                    found = faces.last_faces()  # taken here: the next frame's faces are next
                    extras = faces.last_extras()
                    behind = side.submit(
                        _side_checks, others, (tracker, identity), t, frame, (found, extras)
                    )
                    hook("frames", min(t, info.duration_s), info.duration_s)
                if behind is not None:
                    behind.result()
            finally:
                if behind is not None:
                    behind.cancel()
        if identity is not None:
            faces.printed = identity.printed()  # portraits on papers are nobody in the room
        return {c.name: c.finish(info.duration_s) for c in frame_checks}

    def frame_checks(
        self, profile: Profile | None, info: MediaInfo
    ) -> tuple[list[FrameCheck], MouthTracker | None, CheckResult | None]:
        """The frame checks of one recording: faces, video, documents when the profile asks
        (or its 'unavailable' result); the mouth tracker when the talk check is on."""
        o = self.options
        step = 1.0 / o.sample_fps
        faces = FacesCheck(self.detector.path, self.landmarker.path, o.faces, sample_step=step)
        frame_checks: list[FrameCheck] = [faces, VideoQualityCheck(o.video, sample_step=step)]
        mouths = MouthTracker(info, o.talk) if o.talk.enabled else None
        documents, no_docs = self._documents_check(profile, step)
        if documents is not None:
            frame_checks.append(documents)
        return frame_checks, mouths, no_docs

    def _documents_check(
        self, profile: Profile | None, step: float
    ) -> tuple[DocumentsCheck | None, CheckResult | None]:
        """The documents check when the profile asks for a document (else nothing at all);
        or, when OCR cannot run here, the check's 'unavailable' result."""
        if profile is None or not profile.documents:
            return None, None
        why = ocr.available()
        if why is not None:
            log.warning("documents check unavailable: %s", why.en)
            return None, CheckResult.unavailable("documents", why)
        specs = tuple(
            DocumentSpec(d.id, d.titles, d.kind, d.min_seconds, d.required)
            for d in profile.documents
        )
        return DocumentsCheck(specs, self.options.documents, step), None

    def _identity_check(
        self, profile: Profile | None, step: float
    ) -> tuple[IdentityCheck | None, CheckResult | None]:
        """The identity check with the profile's values (none when the options or the profile
        turn it off); its 'unavailable' result without dlib or its models."""
        o, pi = self.options.identity, profile.identity if profile is not None else None
        if pi is not None:
            values = pi.model_dump(include={"threshold", "consecutive", "card_threshold"})
            o = replace(o, enabled=o.enabled and pi.enabled, **values)
        if not o.enabled:
            return None, None
        if self.face_id is None:
            return None, CheckResult.unavailable("identity", self.no_face_id or Text("", ""))
        return IdentityCheck(self.face_id.path, o, step), None

    def _hear(
        self,
        path: Path,
        info: MediaInfo,
        phrases: PhraseSet,
        tell: tuple[ProgressHook, VoiceGate],
        stop: threading.Event,
        heard: tuple[Word, ...] | None = None,
        swept: SweptLive | None = None,
    ) -> _Sound:
        """The sound, in a thread: the audio (the first track with sound, spooled to a
        temporary file, read a block or a speech region at a time), the speech check (the voice
        told to the mouths' gate at once), the
        script engine's syllables (``heard``: those its streaming recogniser heard live), the
        transcript and the phrases verified (``swept``: the forbidden phrases' sweep made
        live). ``stop`` set: the audit failed elsewhere, nothing more is started."""
        tracks = decode_audio_tracks(path, SAMPLE_RATE)
        chosen = choose_audio_track(tracks)
        for i, t in enumerate(tracks):
            if i != chosen:
                t.close()
        audio = tracks[chosen] if tracks else None
        try:
            speech, analysis = run_speech_check(
                audio, SAMPLE_RATE, info.duration_s, self.options.speech
            )
            speech = with_events(speech, track_events(len(tracks), chosen, info))
            hook, gate = tell
            gate.hear(voice_frames(analysis), analysis.regions if analysis is not None else ())
            hook("audio", 1, 1)
            talk = self.options.talk
            heard_voice = TalkVoice(voice_frames(analysis))
            if talk.enabled and talk.denoise:  # the hum's voice frames taken out
                stop_if_set(stop)
                heard_voice = talk_voice(audio, analysis, self.options.speech, talk.denoise_snr_db)
            voices = VoiceTurns()
            if talk.enabled and talk.voice and analysis is not None:
                voices = turn_voices(audio, heard_voice.frames, self.store)
            # The recognisers hear the noisy spans enhanced; the speech check measured the
            # original sound.
            sound: Any = audio
            spans: list[tuple[float, float]] = []
            if audio is not None and analysis is not None:
                sound, spans = enhanced_view(audio, analysis.snr_db, self.options.enhance)
            speech = replace(speech, details={**speech.details, "enhanced": spans})
            if swept is not None:  # the enhanced spans were not heard so live
                swept = replace(swept, stale=tuple(spans))
            syllables: list[Word] = [] if heard is None else list(heard)
            if heard is None and self.engine and sound is not None and analysis is not None:
                stop_if_set(stop)
                # the forbidden phrases' sweep reads the recogniser's frames as they are made
                ahead = forbidden_sweep_ask(
                    self.engine,
                    sound,
                    analysis.regions,
                    phrases.forbidden,
                    self.options.script,
                    swept,
                )
                syllables = self.engine.syllables(sound, analysis.regions, ahead=ahead)
            stop_if_set(stop)
            transcript, script, words = self._speech_text(
                sound, analysis, syllables, info.duration_s, phrases, hook, swept
            )
        finally:
            if self.engine is not None:
                self.engine.drop_ahead()  # not taken: the audit failed or was stopped
            if audio is not None:
                audio.close()
        return _Sound(speech, analysis, syllables, transcript, script, words, voices, heard_voice)

    def _speech_text(
        self,
        audio: AudioTrack | None,
        analysis: SpeechAnalysis | None,
        syllables: list[Word],
        duration_s: float,
        phrases: PhraseSet,
        hook: ProgressHook,
        swept: SweptLive | None = None,
    ) -> tuple[CheckResult, CheckResult, tuple[Word, ...]]:
        """The transcript and script checks: the script engine's syllables (decoded once in
        :meth:`_hear`, also shown as the transcript when no transcript model is installed), the
        transcript model's words, then every phrase verified."""
        o = self.options
        hook("transcript", 0, 1)
        regions = analysis.regions if analysis is not None else []
        transcriber, reason = self.transcriber, self.no_asr_reason
        if transcriber is None and self.engine is not None and o.asr_model == "auto":
            transcriber, reason = SyllableTranscript(self.engine, syllables), None
        transcript, words = run_transcript_check(
            transcriber,
            reason,
            audio,
            analysis,
            duration_s,
            language=o.language,
            hotwords=phrases.hotwords(),
        )
        hook("transcript", 1, 1)
        own_words = () if isinstance(transcriber, SyllableTranscript) else words
        script = run_script_check(
            transcript,
            own_words,
            phrases,
            duration_s,
            threshold=o.match_threshold,
            engine=self.engine,
            syllables=syllables,
            audio=audio,
            regions=regions,
            params=o.script,
            unavailable_reason=self.no_script_reason if self.engine is None else None,
            swept_live=swept,
        )
        hook("script", 1, 1)
        return transcript, script, words


@dataclass(frozen=True)
class Looked:
    """A recording's frame checks run as it was made (see ``record/``): the audit finishes
    them on the saved file's duration; the syllables the script engine heard then are not
    recognised again, nor the forbidden phrases swept for again. ``figures``: the live run's
    lag and dropped frames, recorded in the result's options. ``checks`` None: the file lacks
    frames the live checks saw (an encoder too far behind), so its own frames are checked."""

    checks: tuple[FrameCheck, ...] | None
    mouths: MouthTracker | None
    no_documents: CheckResult | None = None
    syllables: tuple[Word, ...] | None = None  # the script engine's, heard live
    swept: SweptLive | None = None  # the forbidden phrases' sweep, made live
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Sound:
    """What the sound thread heard."""

    speech: CheckResult
    analysis: SpeechAnalysis | None
    syllables: list[Word]  # the script engine's (empty without one)
    transcript: CheckResult
    script: CheckResult
    words: tuple[Word, ...]  # the transcript's
    voices: VoiceTurns  # each turn's voice (the talk check's)
    talk_voice: TalkVoice  # the voice frames the talk check attributes


def _side_checks(
    checks: list[FrameCheck],
    followers: tuple[MouthTracker | None, IdentityCheck | None],
    t: float,
    frame: Any,
    faces: tuple[dict[str, PartyState], list[Face]],
) -> None:
    """One sampled frame through the checks that do not need its faces, then the mouths and
    the identities, which follow the faces found in it (the parties' and the others)."""
    for c in checks:
        c.update(t, frame)
    tracker, identity = followers
    if tracker is not None:
        tracker.update(t, faces[0])
    if identity is not None:
        identity.update(t, frame, faces[0], faces[1], papers_in(checks))
