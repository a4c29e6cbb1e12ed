'use strict';
// Drives a HighLevel simulator (hltest or hlsim) with HighLevel's official
// Node SDK, @gohighlevel/api-client, pinned in package.json. Run by
// sdkcheck_test.go; by hand:
//
//   npm ci && HLSIM_URL=http://127.0.0.1:8790 HLSIM_TOKEN=<pit> \
//     HLSIM_LOCATION=<id> HLSIM_PIPELINE=<id> HLSIM_STAGE=<id> node check.js
//
// Each step calls one SDK method the way the SDK's own README does. A step
// that fails prints its name, the HTTP status and HighLevel's message (the
// data is synthetic) and the script exits 1. On success the last stdout
// line is a JSON object of the ids the steps created, for the Go test to
// check against the simulator's state.

const { HighLevel } = require('@gohighlevel/api-client');

const env = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`check.js: ${name} is not set`);
    process.exit(2);
  }
  return v;
};
const base = env('HLSIM_URL');
const token = env('HLSIM_TOKEN');
const locationId = env('HLSIM_LOCATION');
const pipelineId = env('HLSIM_PIPELINE');
const stageId = env('HLSIM_STAGE');
const only = (process.env.HLSIM_STEPS || '').split(',').filter(Boolean);

// The SDK has no base-URL option: every service resolves its paths against
// HighLevel.BASE_URL when the client is built.
HighLevel.BASE_URL = base;
const ghl = new HighLevel({
  privateIntegrationToken: token,
  logLevel: 'error',
  // The SDK's own burst handling reads X-RateLimit-Interval-Milliseconds
  // and X-RateLimit-Daily-Remaining from a 429; the burst step relies on it.
  rateLimitRetry: { maxRetries: 6, maxDelayMs: 3000 },
});

const out = {};
const done = [];

async function step(name, fn) {
  if (only.length && !only.includes(name.split(':')[0])) return undefined;
  try {
    const r = await fn();
    done.push(name);
    return r;
  } catch (e) {
    const status = e.statusCode ?? e.response?.status ?? 'no status';
    let msg = e.response?.data?.message ?? e.response?.message ?? e.message;
    if (Array.isArray(msg)) msg = msg.join('; ');
    console.error(`check.js: step ${name} failed: ${status}: ${msg}`);
    process.exit(1);
  }
}

function must(cond, what) {
  if (!cond) throw new Error(`unexpected answer: ${what}`);
}

async function main() {
  const stamp = Date.now().toString(36);
  const email = `sdk.${stamp}@example.com`;

  const created = await step('contacts:create', () =>
    ghl.contacts.createContact({
      locationId,
      firstName: 'Sdk',
      lastName: 'Check',
      email,
      phone: '+14155550123',
      tags: ['sdkcheck'],
      source: 'sdkcheck',
    }));
  must(created?.contact?.id, 'createContact returns contact.id');
  out.contactId = created.contact.id;

  const got = await step('contacts:get', () => ghl.contacts.getContact({ contactId: out.contactId }));
  must(got?.contact?.email === email, 'getContact returns the e-mail it was given');

  const upserted = await step('contacts:upsert', () =>
    ghl.contacts.upsertContact({ locationId, email, lastName: 'Checked', tags: ['sdkcheck-upsert'] }));
  must(upserted?.contact?.id === out.contactId, 'upsertContact matches the contact by e-mail');
  must(upserted.new === false, 'upsertContact says the contact is not new');
  out.upsertedId = upserted.contact.id;

  const found = await step('contacts:search', () =>
    ghl.contacts.searchContactsAdvanced({
      locationId,
      pageLimit: 10,
      filters: [{ field: 'email', operator: 'eq', value: email }],
    }));
  must(found?.contacts?.length === 1 && found.contacts[0].id === out.contactId, 'searchContactsAdvanced finds the contact');

  const schemaKey = 'custom_objects.sdk_check';
  await step('objects:schema', () =>
    ghl.objects.createCustomObjectSchema({
      locationId,
      key: schemaKey,
      labels: { singular: 'Sdk check', plural: 'Sdk checks' },
      primaryDisplayPropertyDetails: { key: `${schemaKey}.name`, name: 'Name', dataType: 'TEXT' },
    }));

  const rec = await step('objects:record-create', () =>
    ghl.objects.createObjectRecord({ schemaKey }, { locationId, properties: { name: 'First check' } }));
  const recordId = rec?.record?.id;
  must(recordId, 'createObjectRecord returns record.id');
  out.recordId = recordId;

  const readBack = await step('objects:record-get', () => ghl.objects.getRecordById({ schemaKey, id: recordId }));
  must(readBack?.record?.properties?.name === 'First check', 'getRecordById returns the properties');

  const records = await step('objects:record-search', () =>
    ghl.objects.searchObjectRecords({ schemaKey }, { locationId, page: 1, pageLimit: 10, query: '' }));
  must(records?.records?.some((r) => r.id === recordId), 'searchObjectRecords finds the record');

  const opp = await step('opportunities:create', () =>
    ghl.opportunities.createOpportunity({
      locationId,
      pipelineId,
      pipelineStageId: stageId,
      name: 'Sdk check treatment',
      status: 'open',
      contactId: out.contactId,
      monetaryValue: 1250,
    }));
  must(opp?.opportunity?.id, 'createOpportunity returns opportunity.id');
  out.opportunityId = opp.opportunity.id;

  // Calendars: a calendar, an appointment in it (nobody notified), read
  // back by id, by range and by contact.
  const cal = await step('calendars:create', () =>
    ghl.calendars.createCalendar({ locationId, name: 'Sdk check hygiene', slotDuration: 30, slotDurationUnit: 'mins' }));
  must(cal?.calendar?.id, 'createCalendar returns calendar.id');
  out.calendarId = cal.calendar.id;
  const start = new Date(Date.now() + 3 * 24 * 3600 * 1000);
  start.setUTCHours(15, 0, 0, 0);
  const end = new Date(start.getTime() + 30 * 60 * 1000);
  const appt = await step('calendars:appointment-create', () =>
    ghl.calendars.createAppointment({
      calendarId: out.calendarId,
      locationId,
      contactId: out.contactId,
      startTime: start.toISOString(),
      endTime: end.toISOString(),
      title: 'Sdk check cleaning',
      appointmentStatus: 'confirmed',
      toNotify: false,
      ignoreFreeSlotValidation: true,
    }));
  must(appt?.id, 'createAppointment returns the event id');
  out.appointmentId = appt.id;
  const ev = await step('calendars:appointment-get', () => ghl.calendars.getAppointment({ eventId: out.appointmentId }));
  must((ev?.event ?? ev)?.id === out.appointmentId, 'getAppointment returns the event');
  const inRange = await step('calendars:events-range', () =>
    ghl.calendars.getCalendarEvents({
      locationId,
      calendarId: out.calendarId,
      startTime: String(start.getTime() - 3600 * 1000),
      endTime: String(end.getTime() + 3600 * 1000),
    }));
  must(inRange?.events?.some((e) => e.id === out.appointmentId), 'getCalendarEvents finds the appointment in its range');
  const ofContact = await step('calendars:contact-appointments', () =>
    ghl.contacts.getAppointmentsForContact({ contactId: out.contactId }));
  must(ofContact?.events?.some((e) => e.id === out.appointmentId), 'getAppointmentsForContact lists the appointment');

  // Conversations: the contact's conversation, an inbound message dated in
  // the past (a migrated history keeps its dates), read back.
  const conv = await step('conversations:create', () =>
    ghl.conversations.createConversation({ locationId, contactId: out.contactId }));
  must(conv?.conversation?.id, 'createConversation returns conversation.id');
  out.conversationId = conv.conversation.id;
  const found2 = await step('conversations:search', () =>
    ghl.conversations.searchConversation({ locationId, contactId: out.contactId }));
  must(found2?.conversations?.some((c) => c.id === out.conversationId), 'searchConversation finds the conversation');
  const provider = process.env.HLSIM_PROVIDER;
  const date = '2024-05-06T14:30:00.000Z';
  const inbound = await step('conversations:inbound', () =>
    ghl.conversations.addAnInboundMessage({
      type: 'SMS',
      conversationId: out.conversationId,
      contactId: out.contactId,
      ...(provider ? { conversationProviderId: provider } : {}),
      message: 'Sdk check: see you Tuesday',
      direction: 'inbound',
      date,
    }));
  must(inbound?.messageId, 'addAnInboundMessage returns messageId');
  out.messageId = inbound.messageId;
  const msgs = await step('conversations:messages', () => ghl.conversations.getMessages({ conversationId: out.conversationId }));
  const list = Array.isArray(msgs?.messages) ? msgs.messages : msgs?.messages?.messages;
  must(list?.some((m) => m.id === out.messageId), 'getMessages lists the message');
  const msg = await step('conversations:message-get', () => ghl.conversations.getMessage({ id: out.messageId }));
  const m = msg?.id ? msg : msg?.message;
  must(m?.id === out.messageId, 'getMessage returns the message');
  must(new Date(m.dateAdded).getTime() === new Date(date).getTime(), 'the message keeps the date it was given');
  await step('conversations:unknown-provider', async () => {
    try {
      await ghl.conversations.addAnInboundMessage({
        type: 'SMS', conversationId: out.conversationId, contactId: out.contactId,
        conversationProviderId: 'providerUnknown00001', message: 'refused', direction: 'inbound',
      });
    } catch (e) {
      must((e.statusCode ?? e.response?.status) === 400, 'an unknown provider is a 400');
      return;
    }
    throw new Error('an unknown conversationProviderId was accepted');
  });

  // More requests at once than the burst allows: the SDK must read the
  // simulator's 429 as a burst refusal and retry after the interval.
  const burst = Number(process.env.HLSIM_BURST || 0);
  if (burst > 0) {
    await step('limits:burst', async () => {
      const all = await Promise.all(
        Array.from({ length: burst }, () => ghl.contacts.getContact({ contactId: out.contactId })));
      must(all.every((r) => r?.contact?.id === out.contactId), 'every burst read answers');
    });
  }

  out.steps = done;
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(`check.js: ${e.message}`);
  process.exit(1);
});
