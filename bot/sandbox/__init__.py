"""The sandbox: the whole bot on one machine, with a web page standing in for the Slack client.

Someone deciding whether to install mal, or a developer changing a view, should be able to live a month
of 1:1s in minutes without a Slack workspace. Nothing is simulated on the bot's side: the page talks to
the same Slack Web API emulator and signed-request driver the tests use, and the bot runs its real HTTP
endpoint, store, outbox and scheduler tick against an injected clock that the page moves.
"""
