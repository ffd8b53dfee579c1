"""Reading a recording: probe the file, plan how its video is decoded, sample its frames, and
read its sound as 16 kHz mono, in flat memory whatever its length.

Decoding uses PyAV (FFmpeg's libraries, shipped in the ``av`` wheel). ``probe`` checks a file is
a readable recording; ``plan`` chooses per file what is decoded; ``threads`` sizes the decoder by
the cores; ``frames`` yields the sampled pictures; ``sound`` decodes and spools the audio.
"""
