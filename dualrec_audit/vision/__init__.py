"""Picture engines the checks use: text recognition on held-up papers (RapidOCR) and MediaPipe
loaded quietly (its native log lines kept off the user's terminal).
"""
