"""Linking a `worker` user to the grid worker they are, so they see and act on their own cases."""

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from grids.errors import InvalidInput, NotFound
from grids.models import User, Worker, WorkerAccount


def link_worker(session: Session, *, user_name: str, staff_no: str) -> WorkerAccount:
    """Make user `user_name` (role worker) the account of the worker with `staff_no`."""
    user = session.scalar(select(User).where(User.name == user_name))
    if user is None:
        raise NotFound(f"no user named {user_name!r} (用户不存在)")
    if user.role != "worker":
        raise InvalidInput(
            f"user {user_name!r} has role {user.role}, not worker (该用户不是网格员角色)", field="user"
        )
    worker = session.scalar(select(Worker).where(Worker.staff_no == staff_no))
    if worker is None:
        raise NotFound(f"no worker with staff number {staff_no!r} (工号不存在)")
    session.execute(delete(WorkerAccount).where(WorkerAccount.worker_id == worker.id))
    session.execute(delete(WorkerAccount).where(WorkerAccount.user_id == user.id))
    account = WorkerAccount(user_id=user.id, worker_id=worker.id)
    session.add(account)
    session.flush()
    return account
