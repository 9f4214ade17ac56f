"""Family links (亲情账户): a citizen links a parent, child or spouse, who may then act for them.

An adult relative is invited (by mobile number, or by name and ID number) and must accept; a minor
is linked directly by a parent who has just passed face verification. A link carries scopes — what
each side may do for the other — granted by the person acted for and narrowable by them later.
Other modules ask `service.has_scope` before acting for someone, and call `service.act_for` to check
and audit such an act in one step.

Glossary: 亲情账户 family link · 邀请 invitation · 接受 accept · 拒绝 decline · 撤回 cancel ·
解除 revoke · 授权范围 scope · 监护人 guardian (a parent linking a minor) · 未成年人 minor (under 18) ·
父母 parent · 子女 child · 配偶 spouse.
"""
