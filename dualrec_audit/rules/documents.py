"""The profile's documents: shown legibly, illegible or not shown, from the documents check,
with a finding for each one not shown legibly."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dualrec_audit.core.result import (
    AuditResult,
    DocumentStatus,
    Finding,
    Text,
)
from dualrec_audit.rules.profiles import DocumentStage, Profile


def _document_status(doc: DocumentStage, seen: Mapping[str, Any] | None) -> DocumentStatus:
    common = {
        "id": doc.id,
        "name": Text(doc.name.zh, doc.name.en),
        "party": doc.party,
        "required": doc.required,
        "min_seconds": doc.min_seconds,
        "titles": doc.titles,
    }
    if seen is None:
        return DocumentStatus(status="not_verified", **common)  # type: ignore[arg-type]
    return DocumentStatus(
        status=seen["status"],
        start=seen.get("start"),
        end=seen.get("end"),
        seconds=float(seen.get("seconds") or 0.0),
        text=seen.get("text"),
        reason=seen.get("reason"),
        face=seen.get("face"),
        **common,  # type: ignore[arg-type]
    )


def _document_finding(
    doc: DocumentStage, st: DocumentStatus, profile: Profile, duration: float
) -> Finding:
    title = doc.titles[0]
    evidence = {
        "document": doc.id,
        "title": title,
        "min_seconds": doc.min_seconds,
        "status": st.status,
        "text": st.text,
    }
    if st.status == "not_shown":
        need = f"（需清晰展示 {doc.min_seconds:g} 秒）"
        return Finding(
            f"document.{doc.id}",
            0.0,
            duration,
            "high" if doc.required else "low",
            Text(
                f"{'未出示必需文件' if doc.required else '未出示文件'}：{title}{need}",
                f"{'Required document' if doc.required else 'Document'} not shown: {title} "
                f"(legible for {doc.min_seconds:g} s)",
            ),
            profile.deduction("document_missing") if doc.required else 0.0,
            doc.required and profile.mandatory.required_documents,
            evidence,
        )
    brief = st.reason == "too_short"
    return Finding(
        f"document.{doc.id}",
        float(st.start or 0.0),
        float(st.end or duration),
        "medium",
        Text(
            f"{'文件展示时间过短' if brief else '文件无法辨认'}：{title}"
            f"（清晰可读 {st.seconds:g} 秒，要求 {doc.min_seconds:g} 秒）",
            f"{'Document shown too briefly' if brief else 'Document not legible'}: {title} "
            f"(legible {st.seconds:g} s of the {doc.min_seconds:g} s required)",
        ),
        profile.deduction("document_illegible"),
        False,
        evidence,
    )


def document_findings(
    result: AuditResult, profile: Profile
) -> tuple[list[DocumentStatus], list[Finding]]:
    """The profile's documents (shown / illegible / not shown, from the documents check) and
    a finding for each one not shown legibly. Nothing when the check did not run: that is
    reported by ``availability.not_evaluable`` (status ``not_verified``)."""
    check = result.checks.get("documents")
    ok = check is not None and check.status == "ok"
    seen = {d["id"]: d for d in check.details.get("documents", [])} if ok and check else {}
    out, findings = [], []
    for doc in profile.documents:
        st = _document_status(doc, seen.get(doc.id) if ok else None)
        out.append(st)
        if st.status in ("not_shown", "illegible"):
            findings.append(_document_finding(doc, st, profile, result.duration_s))
    return out, findings
