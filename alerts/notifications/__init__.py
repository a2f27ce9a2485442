"""Notifications (DESIGN §12): subscriptions, an outbox enqueued set-based, delivery with retries.

`matching` says which alerts a subscription wants (in SQL, once); `services`
enqueues and delivers; `payloads` builds the emails and webhook bodies;
`transport` checks and posts to webhook URLs; `selectors` reports the outbox.
"""
