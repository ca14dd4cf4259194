"""Use cases a person triggers (build the demo, describe a store, …). The CLI and the API
call these and nothing below them."""
