"""Layer 2: business rules on layer 1's results, written as data (profiles).

One entry point, :func:`dualrec_audit.rules.decide.decide` (result, profile) -> verdict: the
findings, each with a time range, severity, reason and evidence, and the decision they imply
(auto-approve / review / re-record). The profile a recording is judged under comes from
:mod:`.assign`. Layer 2 reads layer 1 only through the result contract: it never imports a check.
"""
