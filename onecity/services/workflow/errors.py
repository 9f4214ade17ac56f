"""Workflow errors, each with a stable code and zh/en messages."""

from __future__ import annotations

from onecity.errors import Conflict, DomainError, Forbidden, NotFound


class IllegalTransition(Conflict):
    """The action does not leave the application's current state (or does not exist)."""

    code = "workflow_illegal_transition"
    message_zh = "当前状态下不能执行该操作"
    message_en = "This action is not possible in the current state"


class ActionNotAllowed(Forbidden):
    """The action leaves the state, but not for this kind of actor or these roles."""

    code = "workflow_action_not_allowed"
    message_zh = "您无权在此环节执行该操作"
    message_en = "You are not allowed to take this action at this step"


class WorkflowNotFound(NotFound):
    code = "workflow_not_found"
    message_zh = "找不到该办理流程"
    message_en = "No such workflow"


class InvalidWorkflow(DomainError):
    """A definition that cannot run: raised when definitions are loaded, never at request time."""

    code = "workflow_invalid"
    status = 500
    message_zh = "办理流程定义有误"
    message_en = "The workflow definition is not valid"
