"""Use cases: `async def …(uow, person_id, …)`. Permission checks live here, never only in an adapter."""
