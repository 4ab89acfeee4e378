-- The trace context of the code that wrote the event, so the relay's publish continues
-- that trace (ADR 0702). Null for rows written before it or outside any trace.
alter table outbox add column traceparent text;
