"""Channel-neutral conversations: Incoming in, replies out, state persisted per identity.

How the pieces fit (imports point down this list, never up):

- `contract`: what adapters hand in (`Command`, `Text`, `Choice`, `PollVote`, …) and get back
  (`Reply`, `ImageReply`, `FileReply`, `PollReply`).
- `choices`: typed global choices (`NeedAction.show(12).pack()` → `g.need.12`) and deep links.
- `tr`, `cards`, `refusals`, `notifications`: words, how things are shown, typed notices rendered.
- `context`: `Ctx`, what a step sees and does; it reaches the engine through a small protocol.
- `flows/base`, `pager`, `form`: what a flow is (declared steps), and the pieces flows share.
- `flows/*`: the conversations; `flows.DEFAULT_FLOWS()` lists them.
- `engine`: takes a registry of flows and runs them.

To add a conversation: write `flows/<name>.py` with a `Flow` subclass (its `name`, `commands`
(French, English), `title`/`summary` for menus and help, `audience`, `start`, and one
`@step("state", accepts=…)` method per state; `@handles(SomeChoice, "action")` for its buttons
that never expire), then list it in `flows.DEFAULT_FLOWS()`. Nothing else changes: the help, the
menu, Telegram's command list and every adapter pick it up from the registry."""
