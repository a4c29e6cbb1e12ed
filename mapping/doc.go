// Package mapping holds the field map of a PbN → HighLevel migration and
// everything a record goes through before it is sent.
//
// A [Map] is a human-editable YAML document (see [Load], [Map.Save]): per
// source entity an [Object] names its HighLevel target (contact, business,
// custom object, opportunity, note, task, a JSON contact field, or users for
// owner resolution), the custom field that keeps the source id (external id),
// field rules ([Field]: from → transform chain → value map → to, with a type
// when the target is a custom field), lookups that link records to each other
// and filters. Load reports every problem with file:line:column and the path
// of the rule; load → save → load is lossless and keeps the comments.
//
// The lifecycle:
//
//  1. [Propose] drafts a map from a source inventory and the destination's
//     schema, with a confidence and a reason per rule; a [Suggester] (an LLM,
//     say) may add suggestions, labelled as such. [Default] is the ready map
//     for Practice by Numbers.
//  2. A person reads the Markdown review ([Map.WriteReview]), edits the YAML,
//     and approves it ([Map.Approve]): who, when, and a digest of the
//     normalised content. A map changed after approval does not verify
//     ([Map.Verify], [LoadApproved]) and cannot run ([NewApplier]).
//  3. [DeriveSchema] lists every custom field, custom object, association and
//     pipeline the map needs; [SchemaPlan.Diff] compares it with a location
//     and [SchemaPlan.Apply] creates what is missing, returning what it
//     created so it can be undone.
//  4. [ResolveOwners] matches staff to HighLevel users by email.
//  5. An [Applier] turns each source record into a [Payload]; a [Validator]
//     adds the cross-record checks (duplicates, references). Invalid records
//     carry [Problem]s that name the object, source key, field, rule and a
//     reason — never a value, because values are PHI.
//
// Transforms are pure functions of package transform, named in the map's
// transform chains through a [Registry].
package mapping
