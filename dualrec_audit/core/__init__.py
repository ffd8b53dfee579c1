"""The foundation every package builds on, importing nothing else of ours: the result contract
(frozen dataclasses that serialise to the JSON of schema_version 1), the errors users are shown
(each with a stable code), the texts in Simplified Chinese and English, and file paths as the
store keeps them.
"""
