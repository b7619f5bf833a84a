"""Stint's local stack: template.yaml run on this machine, no AWS account, no Docker.

`python -m local` starts an embedded moto emulator (DynamoDB with streams, Cognito),
creates the resources that `template.yaml` declares, imports the real handlers from
`functions/` with the layer on `sys.path`, and serves them on the routes the template
gives them, behind a Cognito user-pool authorizer that checks what API Gateway checks.

Modules, in the order a request meets them:

- `template`   loads the template (CloudFormation short tags) and resolves intrinsics
- `emulator`   moto's server app, every request into it serialized by one lock
- `patches`    moto's TransactWriteItems without its whole-table copy per action
- `resources`  creates the template's tables, user pools, clients, ... in the emulator
- `functions`  the template's functions: environment, layers, handler import, invoke
- `gateway`    the API Gateway REST front: routing, mounts, gateway responses
- `events`     what the gateway reads from a request, and the proxy event it builds
- `authorizer` the Cognito user-pool authorizer (signature, issuer, expiry, scopes)
- `triggers`   Cognito Lambda triggers (post confirmation) run around emulator calls
- `oauth`      the user pool domain's OAuth2 endpoints (authlib's server side), on the front
- `control`    `/_local` (faults, the emulator at /_local/aws): this machine's tools only
- `mailbox`    email verification codes (moto lacks the calls), "emailed" to a mailbox file
- `event_sources` the template's DynamoDB and SQS events: a poller thread each, positions kept
- `mapping`    what every event source mapping has (its function, the emulator), a queue's URL
- `streams`    a table stream's mapping: batches, bisecting, retries, the OnFailure record
- `queues`     an SQS queue's mapping: concurrent batches, per-message outcomes
- `stack`      puts the pieces together and writes `.stint/outputs.json`
- `servers`    the threaded werkzeug servers both listen with (127.0.0.1 only), read timeouts
- `testing`    starts a stack in a subprocess for tests (or reads a deployed stack's outputs)
- `invoke`     `python -m local invoke`: one function, one event, as `sam local invoke`
- `generate_event` `python -m local generate-event`: a route's API event, as SAM's aws-proxy
"""
