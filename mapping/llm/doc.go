// Package llm is a [mapping.Suggester] that asks a large language model
// where the fields of a source entity go, through any OpenAI-compatible
// chat-completions endpoint: a hosted service, or a local server such as
// Ollama (http://localhost:11434/v1), the llama.cpp server or vLLM.
//
// # What is sent
//
// One POST {BaseURL}/chat/completions per source entity, with the model
// name, temperature 0, a system prompt stating the task, and a user message
// holding the entity's name and target kind, the allowed targets (standard
// fields, the location's existing non-pick-list custom fields of that
// model, "custom" with its types, "skip") and, per field, its header, the
// type the heuristics sniffed, the fill rate, value lengths, the number of
// distinct values and the most frequent value patterns ("ddd-ddd-dddd",
// see [mapping.ValuePattern]). Values are never sent, unless the caller
// opts in with mapping.ProposeOptions.ShareSamples: then up to 8 redacted
// samples per field go too (see [RedactSamples]). The source key and the
// fields the heuristics used for lookups or templates are not asked about.
//
// # Structured answers
//
// The answer is asked for with response_format json_schema (strict; the
// enums hold the allowed fields and targets). A server that refuses it (a
// 400 or 422 naming the schema or response_format) is asked again with
// json_object, and the Suggester keeps to that. Either way the answer is
// validated strictly: JSON of the expected shape (unknown members refused;
// a Markdown code fence tolerated), every field one that was asked about,
// at most once, every target one that was offered, a new custom field's
// type one that was offered, confidence in [0, 1]. An answer that fails is
// an error and nothing of it is used; the proposer then keeps its
// heuristic draft and notes the failure.
//
// # Transport, key and cache
//
// Requests go through the shared transport (internal/transport): a
// per-attempt timeout, retries of 429 (honouring Retry-After), 5xx and
// transport failures with jittered backoff, a response size limit and
// redacted logging. An answer of 401, 403 or 404 (a refused key, an
// unknown model or endpoint) ends the conversation: later questions return
// the same error without being sent. The API key is sent as a Bearer
// token and is never logged; it is cut out of any server message an error
// quotes. With
// Options.CacheDir every validated answer is kept in a 0600 file named by
// the hash of [PromptVersion], the endpoint, the model and the question, so
// re-running propose on the same inventory sends nothing.
package llm
