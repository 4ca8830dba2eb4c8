"""tocsin.report: after-action report (HTML + PDF), aimpoint/intent analysis and CZML export.

Entry points: :func:`write_report` (``tocsin.report.write``), :func:`analyse_intent`
(``tocsin.report.intent``) and :func:`build_czml` / :func:`write_czml` (``tocsin.report.czml``).
They read contract files only (interfaces.md sections 1-5). Importing this package does not import
matplotlib; the submodules do.
"""
