"""Speech: the recognisers behind small interfaces, chosen by the model's kind in the manifest,
the phrase lists (required and forbidden) and the pinyin-aware matching of phrases in what was
heard.

- ``kws-zh`` (:class:`~dualrec_audit.speech.sherpa.PinyinEngine`): a Mandarin transducer with
  pinyin units, run on onnxruntime (:mod:`~dualrec_audit.speech.zipformer`) as a streaming
  pinyin recogniser (timed syllables) and as a keyword spotter (streams of phrases searched
  over the same encoder frames, :mod:`~dualrec_audit.speech.keywords`; the frames shared as
  they are made, :mod:`~dualrec_audit.speech.heard`). The default engine of the script check.
- transcript models (:mod:`dualrec_audit.speech.select`): faster-whisper (kind ``speech``) and
  sherpa-onnx Paraformer, SenseVoice and streaming Zipformer
  (:mod:`~dualrec_audit.speech.sherpa_asr`; kinds ``asr-paraformer``,
  ``asr-sensevoice``, ``asr-zipformer``); what reviewers read comes from the best installed one.
  Each has a time budget and loop guards (:class:`~dualrec_audit.speech.transcriber.Budget`).
- :mod:`dualrec_audit.speech.enhance`: DeepFilterNet 3 on the noisy spans, in front of the
  recognisers.

Heavy libraries are imported inside functions and models are loaded once per process.
"""
