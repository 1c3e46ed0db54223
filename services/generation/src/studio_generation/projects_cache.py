"""Which projects exist, remembered for a short while so accepting a generation rarely has to
ask the projects service.

Only positive answers are kept (a project that exists and is the caller's), for `ttl_s`; when
full, the entries closest to expiring make room. Every API replica forgets a project the moment
`project.deleted` goes by (`events.follow_project_deletions`)."""

from cachetools import TTLCache
from studio_runtime.clients import ProjectsClient
from studio_runtime.internal_auth import Identity


class CachedProjects:
    def __init__(
        self, projects: ProjectsClient, *, ttl_s: float = 30, max_entries: int = 100_000
    ) -> None:
        self._projects = projects
        self._known: TTLCache[tuple[str, str], bool] = TTLCache(maxsize=max_entries, ttl=ttl_s)

    async def require_project(self, identity: Identity, project_id: str) -> None:
        key = (identity.user_id, project_id)
        if key in self._known:
            return
        await self._projects.require_project(identity, project_id)
        self._known[key] = True

    def forget(self, owner: str, project_id: str) -> None:
        self._known.pop((owner, project_id), None)
