"""Workflows (办理流程) as data, and the pure state machine that runs them.

A workflow (like DIGIT's BusinessService) names its states, the initial state, and the actions
that move an application from state to state; each action says which kind of actor may take it
(`staff` of the agency, the `applicant`, or the `system`), which staff roles, whether the actor must
first have claimed (受理) the application, whether a reason is required (驳回/补正 need one), and
whether the platform's effects of approval run with it.

Nothing here touches a database: `definitions` loads and validates the JSON files in `data/`,
`engine` answers "may this actor do this now, and where does it lead".

Glossary: 受理 claim/accept · 审核 review · 补正 request more information · 办结 complete ·
驳回 reject · 撤回 withdraw · 时限 time limit (sla_hours per state).
"""
