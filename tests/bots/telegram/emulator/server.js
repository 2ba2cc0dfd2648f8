// Local Telegram Bot API for Solsignals tests: telegram-test-api plus what our bot uses.
//
// Added to the package's routes (registered first, so they take precedence):
// - getMe answers with is_bot (aiogram requires it; the package's answer lacks it);
// - sendPhoto / sendDocument (multipart, as aiogram uploads in-memory files);
// - getFile + /file/bot<token>/<path> for documents a test user uploaded via /uploadFile;
// - setMyCommands & co. answer ok;
// - /requests lists every Bot API call the bot made (method, params), for assertions;
// - /failNext makes the next N calls of a method answer 429 with retry_after (rate limits), or
//   another error code / description (e.g. 502 Bad Gateway) when the test gives one;
// - /failChat makes the next N calls for one chat_id (any method, or one) answer an error code and
//   description (e.g. 403 "Forbidden: bot was blocked by the user");
// - editMessageText / editMessageCaption without reply_markup remove the inline keyboard, as
//   Telegram does (the package kept it);
// - each recorded call carries at_ms, the time it arrived (Date.now()), for pacing assertions;
// - /reset forgets everything (messages, files, recorded calls, failures, id counters): one
//   emulator process serves a whole test run, each test starting from a fresh state.
// Usage: node server.js <port>. Prints "READY <port>" when listening.
'use strict';

const crypto = require('crypto');
const multer = require('multer');
const TelegramServer = require('telegram-test-api');
const { routes } = require('telegram-test-api/lib/routes/index');

const port = Number(process.argv[2] || 9000);
const upload = multer({ storage: multer.memoryStorage() });
const files = new Map(); // file_id -> {name, mime, content}
const requests = []; // every bot API call
const failures = new Map(); // method -> {remaining, retryAfter, errorCode, description}
const chatFailures = new Map(); // chat_id (string) -> {remaining, method, errorCode, description}

function ok(res, result) {
  res.json({ ok: true, result });
}

function methodOf(req) {
  const match = /^\/bot[^/]+\/([A-Za-z]+)$/.exec(req.path);
  return match ? match[1] : null;
}

// aiogram form-encodes object parameters as JSON strings; the package echoes them back as
// strings, which aiogram cannot read in the returned Message. Parse the ones it sends.
const JSON_FIELDS = ['link_preview_options', 'reply_parameters', 'entities', 'caption_entities'];
function parseJsonFields(body) {
  for (const key of JSON_FIELDS) {
    if (typeof body[key] === 'string') {
      try { body[key] = JSON.parse(body[key]); } catch (_e) { /* leave it */ }
    }
  }
  delete body.disable_web_page_preview;
  return body;
}

// What Telegram refuses and the package accepts: HTML that does not parse (a tag Telegram does
// not support, an unescaped "<", unbalanced tags), text over 4096 or a caption over 1024
// characters after entity parsing, an empty text, callback_data outside 1-64 bytes.
const HTML_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'span',
  'tg-spoiler', 'a', 'code', 'pre', 'blockquote', 'tg-emoji']);
const TAG = /^<(\/?)([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?>/;

function htmlProblem(text) {
  const open = [];
  let at = text.indexOf('<');
  while (at >= 0) {
    const match = TAG.exec(text.slice(at));
    const offset = Buffer.byteLength(text.slice(0, at));
    if (!match) return `Unexpected "<" at byte offset ${offset}`;
    const [whole, closing, name] = match;
    const tag = name.toLowerCase();
    if (!HTML_TAGS.has(tag)) return `Unsupported start tag "${tag}" at byte offset ${offset}`;
    if (closing) {
      if (open.pop() !== tag) return `Unexpected end tag at byte offset ${offset}`;
    } else {
      open.push(tag);
    }
    at = text.indexOf('<', at + whole.length);
  }
  return open.length ? `Can't find end tag corresponding to start tag "${open.pop()}"` : null;
}

function shownLength(text, html) {
  if (!html) return [...text].length;
  const plain = text.replace(/<[^<>]*>/g, '')
    .replace(/&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);/g, 'x');
  return [...plain].length;
}

function messageProblem(method, body) {
  const html = String(body.parse_mode || '').toUpperCase() === 'HTML';
  const isText = method === 'sendMessage' || method === 'editMessageText';
  const isCaption = ['sendPhoto', 'sendDocument', 'editMessageCaption'].includes(method);
  const value = isText ? body.text : isCaption ? body.caption : undefined;
  if (typeof value === 'string') {
    if (html) {
      const problem = htmlProblem(value);
      if (problem) return `Bad Request: can't parse entities: ${problem}`;
    }
    const length = shownLength(value, html);
    if (isText && length === 0) return 'Bad Request: message text is empty';
    if (isText && length > 4096) return 'Bad Request: message is too long';
    if (isCaption && length > 1024) return 'Bad Request: message caption is too long';
  }
  let markup = body.reply_markup;
  if (typeof markup === 'string') {
    try { markup = JSON.parse(markup); } catch (_e) { return 'Bad Request: can\'t parse reply keyboard markup JSON object'; }
  }
  for (const row of (markup && markup.inline_keyboard) || []) {
    for (const button of row) {
      if (button.callback_data === undefined) continue;
      const size = Buffer.byteLength(String(button.callback_data));
      if (size < 1 || size > 64) return 'Bad Request: BUTTON_DATA_INVALID';
    }
  }
  return null;
}

function extras(app, server) {
  // Record each bot call, and inject 429s (or other errors) when a test asked for them.
  const failWith = (res, code, description, retryAfter) => {
    const answer = { ok: false, error_code: code, description };
    if (code === 429) answer.parameters = { retry_after: retryAfter };
    res.status(code).json(answer);
  };
  // A failure a test asked for this chat (and method), consumed by the call; null when none.
  const chatFailure = (method, chatId) => {
    if (chatId === undefined || chatId === null) return null;
    const failure = chatFailures.get(String(chatId));
    if (!failure || failure.remaining <= 0) return null;
    if (failure.method && failure.method !== method) return null;
    failure.remaining -= 1;
    return failure;
  };
  app.use((req, res, next) => {
    const method = methodOf(req);
    if (!method) return next();
    const atMs = Date.now();
    if (req.body && typeof req.body === 'object') parseJsonFields(req.body);
    const record = () => requests.push({
      method, at_ms: atMs, params: { ...req.query, ...(req.body || {}) },
    });
    const failure = failures.get(method);
    if (failure && failure.remaining > 0) {
      failure.remaining -= 1;
      record();
      failWith(res, failure.errorCode, failure.description, failure.retryAfter);
      return;
    }
    const forChat = chatFailure(method, (req.body || {}).chat_id);
    if (forChat) {
      record();
      failWith(res, forChat.errorCode, forChat.description, 1);
      return;
    }
    const refused = messageProblem(method, req.body || {});
    if (refused) {
      record();
      failWith(res, 400, refused, 0);
      return;
    }
    res.on('finish', record);
    return next();
  });

  // Edits: the package answers `result: null` (aiogram wants the Message) and leaves the edited
  // message marked read; here the edited message is returned and shown to the client again.
  const asMessage = (update) => ({
    ...update.message,
    message_id: update.messageId,
    date: Math.floor(update.time / 1000),
    chat: { id: Number(update.message.chat_id), type: 'private', first_name: 'User' },
    from: { id: 666, is_bot: true, first_name: 'Solsignals Test', username: 'SolsignalsTestBot' },
  });
  const edit = (kind) => (req, res) => {
    const body = TelegramServer.normalizeMessage({ ...req.body });
    const update = server.storage.botMessages.find((u) => (
      String(u.messageId) === String(body.message_id)
      && String(u.message.chat_id) === String(body.chat_id)));
    if (!update) {
      res.status(400).json({ ok: false, error_code: 400,
        description: 'Bad Request: message to edit not found' });
      return;
    }
    const changes = { ...body };
    if (kind === 'caption') changes.text = body.caption;
    update.message = { ...update.message, ...changes, edited: true };
    // Telegram: editing the text or caption without reply_markup removes the inline keyboard
    // (an edit that means to keep its buttons must send them again).
    if (kind !== 'markup' && body.reply_markup === undefined) delete update.message.reply_markup;
    update.isRead = false;
    ok(res, asMessage(update));
  };
  app.all('/bot:token/editMessageText', edit('text'));
  app.all('/bot:token/editMessageCaption', edit('caption'));
  app.all('/bot:token/editMessageReplyMarkup', edit('markup'));

  app.all('/bot:token/getMe', (_req, res) => ok(res, {
    id: 666, is_bot: true, first_name: 'Solsignals Test', username: 'SolsignalsTestBot',
    can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false,
  }));

  for (const method of ['setMyCommands', 'deleteMyCommands', 'setChatMenuButton',
    'sendChatAction', 'setMyDescription', 'setMyShortDescription']) {
    app.all(`/bot:token/${method}`, (_req, res) => ok(res, true));
  }
  app.all('/bot:token/getMyCommands', (_req, res) => ok(res, []));

  const sendMedia = (kind) => (req, res) => {
    const body = parseJsonFields({ ...req.body });
    // multipart bodies are parsed here (after the recording middleware): chat failures too
    const forChat = chatFailure(req.path.split('/').pop(), body.chat_id);
    if (forChat) {
      failWith(res, forChat.errorCode, forChat.description, 1);
      return;
    }
    const refused = messageProblem(req.path.split('/').pop(), body);
    if (refused) {
      failWith(res, 400, refused, 0);
      return;
    }
    // aiogram names the file part freely and refers to it as attach://<name>
    const file = (req.files || [])[0];
    const fileId = crypto.randomBytes(12).toString('hex');
    if (file) files.set(fileId, { name: file.originalname, mime: file.mimetype, content: file.buffer });
    const media = { file_id: fileId, file_unique_id: fileId, file_size: file ? file.size : 0 };
    if (kind === 'photo') body.photo = [{ ...media, width: 600, height: 300 }];
    else body.document = { ...media, file_name: file ? file.originalname : 'file' };
    body.text = body.caption;
    ok(res, server.addBotMessage(body, req.params.token));
  };
  app.post('/bot:token/sendPhoto', upload.any(), sendMedia('photo'));
  app.post('/bot:token/sendDocument', upload.any(), sendMedia('document'));

  app.all('/bot:token/getFile', (req, res) => {
    const fileId = (req.body && req.body.file_id) || req.query.file_id;
    const file = files.get(fileId);
    if (!file) {
      res.status(400).json({ ok: false, error_code: 400, description: 'Bad Request: invalid file_id' });
      return;
    }
    ok(res, { file_id: fileId, file_unique_id: fileId, file_size: file.content.length,
      file_path: `documents/${fileId}/${file.name}` });
  });
  app.get('/file/bot:token/documents/:fileId/:name', (req, res) => {
    const file = files.get(req.params.fileId);
    if (!file) { res.status(404).end(); return; }
    res.type(file.mime || 'application/octet-stream').send(file.content);
  });

  // Client side (tests): upload a file a user will send; inspect or fail bot calls.
  app.post('/uploadFile', upload.single('file'), (req, res) => {
    const fileId = crypto.randomBytes(12).toString('hex');
    files.set(fileId, { name: req.file.originalname, mime: req.file.mimetype, content: req.file.buffer });
    ok(res, { file_id: fileId, file_unique_id: fileId, file_size: req.file.size,
      file_name: req.file.originalname, mime_type: req.file.mimetype });
  });
  app.post('/requests', (_req, res) => ok(res, requests));
  app.post('/failNext', (req, res) => {
    const retryAfter = Number(req.body.retry_after || 1);
    failures.set(req.body.method, { remaining: Number(req.body.times || 1), retryAfter,
      errorCode: Number(req.body.error_code || 429),
      description: req.body.description || `Too Many Requests: retry after ${retryAfter}` });
    ok(res, true);
  });
  app.post('/reset', (_req, res) => {
    files.clear();
    requests.length = 0;
    failures.clear();
    chatFailures.clear();
    server.storage.userMessages = [];
    server.storage.botMessages = [];
    server.updateId = 1;
    server.messageId = 1;
    server.callbackId = 1;
    ok(res, true);
  });
  app.post('/failChat', (req, res) => {
    chatFailures.set(String(req.body.chat_id), { remaining: Number(req.body.times || 1),
      method: req.body.method || null, errorCode: Number(req.body.error_code || 403),
      description: req.body.description || 'Forbidden: bot was blocked by the user' });
    ok(res, true);
  });
}

routes.unshift(extras);

// Callback queries need chat_instance (the package leaves it out).
const formatUpdate = TelegramServer.formatUpdate;
TelegramServer.formatUpdate = (update) => {
  const formatted = formatUpdate(update);
  if (formatted.callback_query) formatted.callback_query.chat_instance = `ci-${update.botToken}`;
  return formatted;
};

const server = new TelegramServer({ port, host: '127.0.0.1', storeTimeout: 600 });
server.start().then(() => {
  process.stdout.write(`READY ${port}\n`);
});
const stop = () => server.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
