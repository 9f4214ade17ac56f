"""Audit log: an append-only, hash-chained record of sensitive reads and writes.

Who (principal kind and id, and their organisation), on whose behalf, what (action and resource),
whose data (subject citizen), why (reason), when, and under which request id. Every entry's SHA-256
covers its canonical content and the previous entry's hash, so `verify_chain` finds any edit,
deletion or reordering made behind the platform's back.

Glossary: 审计日志 audit log · 访问记录 access log (a citizen's view: who read their data) ·
哈希链 hash chain · 篡改 tampering.
"""
