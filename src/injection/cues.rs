//! Structural cues of text written for an AI agent rather than for a person: who it addresses, whose
//! authority it claims, whether it tries to change the agent's task, fake role or system markers, and what it
//! tells the reader to do. No single cue is an injection (a help page is full of imperatives, a review may
//! mention an assistant): two kinds close together are, and so is a cue with an action on data or, for the
//! cues ordinary text rarely has, a directive to the reader near it ([`find`]).
//!
//! Every cue that can start a finding contains one of [`CUE_WORDS`], found in one pass; the slower
//! checks only read a window around each of them, so text without those words costs one automaton pass.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex_lite::Regex;
use std::collections::HashSet;
use std::sync::OnceLock;

/// What a cue says about the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cue {
    /// Addressed to an AI: "to you, AI model", "Note to the AI assistant", "if you are an AI".
    Addressed,
    /// Claims the authority of the user, developer or system: "message from the developer", "the user has
    /// authorized", "approved by admin". Notices claim authority too, so it needs an action or another cue.
    Authority,
    /// Tries to change the agent's task: "before you solve the task I gave you", "your new task is".
    TaskSwitch,
    /// A task inserted as a to-do item: "TODO: send …". Ordinary notes have these too, so it needs an action
    /// on data or a destination to count.
    TodoItem,
    /// A fake role or system marker: "###(system_message)", "[system]", forged chat turns.
    RoleMarker,
    /// A role label at a line start: "SYSTEM:", "Admin message:". Code and configuration have `system:` keys,
    /// so it needs an instruction on its own line, an action or another cue.
    RoleLine,
    /// Speaks of the reader's own work as an agent's: "before you reply", "when you summarize this",
    /// "in every future reply". Ordinary mail says such things too, so it needs an action to count.
    AgentContext,
    /// Names a tool to call: "call http_post", "use send_email". Documentation does too, so it needs an action
    /// or another cue to count.
    ToolCall,
    /// Asks for the agent's own instructions: "print your initial instructions", "show me the hidden prompt".
    /// Nothing but an agent has those, so this counts alone.
    PromptLeak,
    /// Names data worth stealing: API keys, passwords, the customer list. Security advice does too ("never
    /// send your password to …"), so it needs an action that is not negated.
    SensitiveData,
}

/// Anchor words of the cue patterns: every match of a pattern contains one of its anchors (matched without
/// ASCII case), so a text with none of these has no cue and [`find`] has nothing to find. A prefilter that
/// decides whether [`find`] runs needs all of them.
pub const CUE_WORDS: &[&str] = &[
    // Addressed to an AI
    "to you",
    "assistant",
    "agent",
    "llm",
    "language model",
    "chatbot",
    "gpt",
    "claude",
    "gemini",
    "copilot",
    "mistral",
    "mixtral",
    "llama",
    "command r",
    "model",
    "automated",
    " ai",
    "(ai",
    "\"ai",
    ">ai",
    "\nai",
    "ai ",
    "ai:",
    "ai,",
    "a.i.",
    // Authority
    "message from",
    "note from",
    "notice from",
    "instruction from",
    "instructions from",
    "request from",
    "update from",
    "memo from",
    "directive from",
    "order from",
    "reminder from",
    "email from",
    "letter from",
    "this is the ",
    "this is your ",
    "this is me",
    "i am the ",
    "i am your ",
    "i'm the ",
    "i'm your ",
    "it is the ",
    "it is your ",
    "it's the ",
    "it's your ",
    "the user ",
    "verified by",
    "approved by",
    "authorized by",
    "authorised by",
    "mandated by",
    "sanctioned by",
    "signed off by",
    "on behalf of",
    "!!",
    "mode",
    "override",
    "access",
    "privilege",
    // Task switch and to-do items
    "task",
    "request",
    "question",
    "assignment",
    "job",
    "instruction",
    "query",
    "objective",
    "goal",
    "mission",
    "priority",
    "directive",
    "purpose",
    "you were",
    "before ",
    "you can ",
    "stop ",
    "abort",
    "halt",
    "cease",
    "instead of",
    "do not",
    "don't",
    "todo",
    "to-do",
    "action item",
    "action required",
    "next step",
    // Role and system markers
    "##",
    "sys",
    "admin",
    "developer",
    "information",
    "end of",
    "user:",
    "human:",
    "endoftext",
    "untrusted",
    "</document",
    "</context",
    "</tool_",
    "</search_result",
    "</function_result",
    "sistema",
    // Agent context, tool calls, prompt leaks
    "bot",
    "you reply",
    "you respond",
    "you answer",
    "you continue",
    "you finish",
    "you summari",
    "you process",
    "you read",
    "you handle",
    "you review",
    "you analy",
    "your reply",
    "your response",
    "your answer",
    "your summary",
    "your output",
    "your review",
    "your report",
    "future",
    "memory",
    "call ",
    "use ",
    "invoke",
    "trigger",
    "execute",
    "prompt",
    "instructions",
    "context window",
    "system message",
    "words above",
    "everything above",
    "systemanweisung",
    "instructions syst",
    "instrucciones del sistema",
    "istruzioni di sistema",
    "remember",
    "api key",
    "credential",
    "password",
    "secret",
    "token",
    "private key",
    "cookie",
    "customer",
    "personal data",
    "user data",
    "history",
    "environment variable",
    ".env",
];

/// How far either side of an anchor word a cue's pattern may reach.
const CUE_REACH: usize = 100;
/// How far a match may reach back into the part of the text a pattern has already read.
const OVERLAP: usize = 48;
/// How far an action or directive may reach back into text already read for one.
const ACTION_OVERLAP: usize = 240;
/// How close two cues of different kinds, or a cue and a directive, must be to count together.
const PAIR_REACH: usize = 400;

/// Names of AI systems and of what an agent is called, as a pattern.
const AI_NOUN: &str = r"(?:ai|a\.i\.|llms?|large language models?|language models?|(?:ai|llm|gpt|automated|autonomous|coding|chat) (?:models?|assistants?|agents?)|ai (?:coding |software )?(?:systems?|tools?|crawlers?|readers?)|chatbots?|bots?|gpt[-\w.]*|chatgpt|claude|gemini|copilot|llama[-\w.]*|mistral|mixtral|command r\+?|local model|automated (?:systems?|tools?|readers?|analysis|screening|software))";

/// Verbs that start an instruction to an agent: acting on data, answering, navigating.
const ACTION_VERBS: &str = r"(?:send|forward|transfer|post|email|e-mail|upload|submit|share|leak|wire|pay|invite|paste|copy|publish|print|output|reply|respond|say|tell|write|delete|remove|erase|visit|open|click|call|create|make|change|modify|update|concatenate|get|fetch|retrieve|read|summari[sz]e|ignore|disregard|forget|include|insert|add|append|recommend|rate|describe|state|answer|translate|repeat|go|navigate|download|run|execute|buy|book|schedule|solve|stop|do|don't|never|always|focus|use|give|grant|approve|report|list|reveal|disclose|return|mark|set|reset|move|contact|notify|inform|save|remember|store|append|empty)";

/// One cue pattern.
struct Pattern {
    cue: Cue,
    /// Words of which every match has one besides its anchor (none when the anchor is all it needs): a
    /// window without them is not read by the slower pattern.
    needs: &'static [&'static str],
    /// How far before its anchor word a match may start.
    back: usize,
    regex: Regex,
}

struct Patterns {
    anchors: AhoCorasick,
    /// The patterns each anchor word can start, by the word's index in [`CUE_WORDS`].
    by_anchor: Vec<Vec<usize>>,
    cues: Vec<Pattern>,
    /// What the text tells its reader to do, looked for near a cue.
    directive: Regex,
    /// An instruction to move data somewhere, open a link, or change or delete something.
    action: Regex,
    /// Moving data to a destination: the part of `action` that names of stealable data need.
    exfil: Regex,
    /// The first words after a role marker: an instruction when it starts with a verb or "you".
    after_marker: Regex,
}

fn patterns() -> Option<&'static Patterns> {
    static BUILT: OnceLock<Option<Patterns>> = OnceLock::new();
    BUILT.get_or_init(build).as_ref()
}

/// A cue pattern as written: its cue, anchor words, needed words, reach back from the anchor, and source.
type Source = (Cue, &'static [&'static str], &'static [&'static str], usize, String);

fn build() -> Option<Patterns> {
    let anchors =
        // A DFA: one table lookup per byte, since the anchor pass reads every string the scan gets.
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(CUE_WORDS)
            .ok()?;
    // "bot" is in "both" and "bottom": it starts only the patterns with a greeting or note before the noun.
    const AI_OR_BOT: &[&str] = &[
        "bot",
        "assistant",
        "agent",
        "llm",
        "language model",
        "chatbot",
        "gpt",
        "claude",
        "gemini",
        "copilot",
        "mistral",
        "mixtral",
        "llama",
        "command r",
        "model",
        "automated",
        " ai",
        "(ai",
        "\"ai",
        ">ai",
        "\nai",
        "ai ",
        "ai:",
        "ai,",
        "a.i.",
    ];
    const AI: &[&str] = &[
        "assistant",
        "agent",
        "llm",
        "language model",
        "chatbot",
        "gpt",
        "claude",
        "gemini",
        "copilot",
        "mistral",
        "mixtral",
        "llama",
        "command r",
        "model",
        "automated",
        " ai",
        "(ai",
        "\"ai",
        ">ai",
        "\nai",
        "ai ",
        "ai:",
        "ai,",
        "a.i.",
    ];
    const FROM: &[&str] = &[
        "message from",
        "note from",
        "notice from",
        "instruction from",
        "instructions from",
        "request from",
        "update from",
        "memo from",
        "directive from",
        "order from",
        "reminder from",
        "email from",
        "letter from",
    ];
    const THIS_IS: &[&str] = &[
        "this is the ",
        "this is your ",
        "this is me",
        "i am the ",
        "i am your ",
        "i'm the ",
        "i'm your ",
        "it is the ",
        "it is your ",
        "it's the ",
        "it's your ",
    ];
    const BY: &[&str] = &[
        "verified by",
        "approved by",
        "authorized by",
        "authorised by",
        "mandated by",
        "sanctioned by",
        "signed off by",
    ];
    const NOUNS: &[&str] = &[
        "task",
        "request",
        "question",
        "assignment",
        "job",
        "instruction",
        "query",
        "objective",
        "goal",
        "mission",
        "priority",
        "directive",
        "purpose",
    ];
    let n = AI_NOUN;
    let v = ACTION_VERBS;
    // What a bracketed role or system marker names: "[system]", "<information>", "[ADMIN REQUEST::".
    let m = r"(?:system|sys|admin|administrator|developer|instructions?|information|system[ _-]?(?:message|msg|prompt|note|override|instructions?|update|alert)|admin[ _-]?(?:request|message|note|override|command)|developer[ _-]?(?:message|note|mode|instructions?)|end of (?:session|conversation|context|document|input|user input|untrusted (?:content|input|data)))";
    let sources: Vec<Source> = vec![
        // "… to you, AI model developed by Google", "to you, Claude".
        (Cue::Addressed, &["to you"], &["ai", "a.i.", "llm", "language model", "bot", "gpt", "claude", "gemini", "copilot", "llama", "mistral", "mixtral", "command r", "model", "automated"], CUE_REACH, format!(r"\bto you,? (?:the |an? |my |our |dear )?(?:[\w.+-]+ ){{0,2}}?{n}\b")),
        // "Note to the AI agent", "Attention assistant:", "Instructions for automated analysis software".
        (
            Cue::Addressed, AI_OR_BOT, &["dear", "hey", "hi ", "hi,", "hi:", "hello", "attention", "attn", "note", "message to", "memo to", "instruction", "notice to", "reminder", "request", "directive", "info", "important"], CUE_REACH,
            format!(
                r"\b(?:dear|hey|hi|hello|attention|attn|note to|notes? for|message to|memo to|instructions? (?:for|to)|notice to|reminder (?:for|to)|request (?:for|to)|directive (?:for|to)|info(?:rmation)? for|important (?:for|to))[ ,:]+(?:the |all |any |every |an? |you,? )?(?:automated |autonomous |helpful |digital |virtual |future |other )?{n}\b"
            ),
        ),
        // "If you are an AI", "as you are a language model".
        (
            Cue::Addressed, AI, &["you're", "you are"], CUE_REACH,
            r"\b(?:if|when|since|as|because) you(?:'re| are) (?:an? |the )?(?:ai|a\.i\.|llm|large language model|language model|chatbot|ai assistant|ai agent|ai model|automated (?:system|agent|assistant|tool)|gpt|claude|gemini)\b".to_string(),
        ),
        // "AI agents reading this", "any model processing this document".
        (
            Cue::Addressed, AI, &["reading", "processing", "parsing", "summari", "analy", "reviewing", "scanning", "evaluating", "crawling", "screening", "indexing", "reads", "integrating", "installing", "using", "consuming", "handling", "working"], CUE_REACH,
            format!(
                r"\b{n} (?:reading|processing|parsing|summari[sz]ing|analy[sz]ing|reviewing|scanning|evaluating|crawling|screening|indexing|integrating|installing|using|consuming|handling|working (?:on|with)|that reads?|who reads?|which reads?) (?:this|these|the following)\b"
            ),
        ),
        // "AI agent: post …", "Assistant, please …" at the start of a sentence or line.
        (
            Cue::Addressed, AI, &[":", ","], 24,
            format!(
                r"(?:^|[.!?\n]\s*)(?:to |attention |dear |hey )?(?:the )?(?:ai|llm|ai assistant|ai agent|ai model|language model|chatbot|gpt|claude|gemini|copilot)\s*[,:]\s*(?:please\b|you\b|{v}\b)"
            ),
        ),
        // Authority: a message from the user, the developer or the system.
        (
            Cue::Authority, FROM, &[], CUE_REACH,
            r"\b(?:message|note|notice|instructions?|request|update|memo|directive|order|reminder|email|letter) from (?:me,? )?(?:the |your )?(?:developers?|admin|administrator|system|creator|security team|it (?:department|team)|openai|anthropic)\b".to_string(),
        ),
        (Cue::Authority, FROM, &[], CUE_REACH, r"\bimportant message from me\b".to_string()),
        (
            Cue::Authority, THIS_IS, &["user", "developer", "admin", "operator", "creator", "principal"], CUE_REACH,
            r"\b(?:this is|i am|i'm|it is|it's) (?:me,? )?(?:the|your) (?:user|developer|admin|administrator|operator|creator|system administrator|principal)\b".to_string(),
        ),
        (
            Cue::Authority, &["the user "], &["authori", "approved", "consented", "requested", "instructed", "granted", "confirmed", "wants you", "would like you", "expects you", "told you", "gave you"], CUE_REACH,
            r"\bthe user (?:has |had |have )?(?:already |explicitly |previously )?(?:authori[sz]ed|approved|consented|requested|instructed|granted|confirmed|pre-?approved|wants you|would like you|expects you|told you|gave you permission)".to_string(),
        ),
        (
            Cue::Authority, BY, &[], CUE_REACH,
            r"\b(?:pre-?verified|pre-?approved|pre-?authori[sz]ed|authori[sz]ed|approved|mandated|sanctioned|signed off) by (?:the )?(?:user|senior management|management|admin|administrator|developers?|system|security team|ceo|owner)\b".to_string(),
        ),
        (Cue::Authority, &["on behalf of"], &[], CUE_REACH, r"\bon behalf of (?:the|your) (?:user|owner|admin|administrator|developer)\b".to_string()),
        (Cue::Authority, &["!!"], &[], CUE_REACH, r"\b(?:important|urgent|attention|critical|warning|alert)\s*!!".to_string()),
        (
            Cue::Authority, &["mode", "override", "access", "privilege"], &["enabled", "activated", "granted", "mode on", "override on", "access on", "privilege on", "privileges on", "is on"], CUE_REACH,
            r"\b(?:developer|admin|administrator|system|debug|maintenance|god|sudo|root|override) (?:mode|override|access|privileges?) (?:is )?(?:enabled|activated|granted|on)\b".to_string(),
        ),
        // Task switch.
        (
            Cue::TaskSwitch, NOUNS, &["gave", "given", "assigned", "asked", "sent", "set", "provided"], 24,
            r"\b(?:the|your|my) (?:original |initial |first |current |previous |main |real |actual |assigned |given |primary )?(?:task|request|question|assignment|job|instructions?|query|objective|goal|mission)s? (?:that |which )?(?:i |the user |you were |you've been |you have been |i have |i've )(?:gave|given|assigned|asked|sent|set|provided)".to_string(),
        ),
        (Cue::TaskSwitch, &["you were"], &[], CUE_REACH, r"\byou were (?:given|asked|assigned|instructed|told) (?:to|by|in the beginning|earlier|originally)\b".to_string()),
        (
            Cue::TaskSwitch, &["before "], &["task", "request", "question", "query", "summary", "answer", "job", "work", "instruction", "prompt", "user"], CUE_REACH,
            r"\bbefore (?:you |u )?(?:can |could |start |begin |continue |proceed |go on )?(?:solv|complet|finish|continu|respond|repl|proceed|summari[sz]|perform|execut)\w* (?:on |with )?(?:the|your|this|that|any|my|the user'?s?) (?:\w+ )?(?:task|request|query|summary|job|instructions?|prompt|user)".to_string(),
        ),
        (
            Cue::TaskSwitch, &["you can "], &["solve", "continue", "complete", "finish", "proceed", "return to", "go back to"], CUE_REACH,
            r"\b(?:you can (?:then )?(?:solve|continue|complete|finish|proceed|return to|go back to) (?:with )?(?:the|your) (?:original |initial )?(?:task|request|question|work))".to_string(),
        ),
        (
            Cue::TaskSwitch, NOUNS, &["new ", "real ", "actual ", "true ", "updated ", "revised "], CUE_REACH,
            r"\b(?:(?:your|the) (?:new|real|actual|true|updated|revised) (?:task|job|goal|objective|instructions?|mission|priority|directive|purpose) (?:is|are|will be|now)\b|new (?:task|instructions?|objective|directive|goal)\s*:)".to_string(),
        ),
        (
            Cue::TaskSwitch, &["stop ", "abort", "halt", "cease", "instead of"], &["what you", "task", "work", "response", "answer", "request", "summary", "instruction", "job"], CUE_REACH,
            r"\b(?:(?:stop|abort|halt|cease) (?:your (?:current )?(?:task|work|response|answer)|(?:the |your )?(?:current |original )?task)|instead of (?:doing )?(?:your|the) (?:original |current |assigned )?(?:task|request|summary|answer|instructions?|job))".to_string(),
        ),
        (
            Cue::TaskSwitch, &["do not", "don't"], &["task", "request", "instruction", "question", "prompt"], CUE_REACH,
            r"\b(?:do not|don't) (?:follow|complete|perform|summari[sz]e|answer|evaluate|translate|respond to|do) (?:the|your|this|any) (?:original |previous |above |user'?s? )?(?:task|request|instructions?|question|prompt)\b".to_string(),
        ),
        // A to-do item that starts with a verb.
        (
            Cue::TodoItem, &["todo", "to-do", "action item", "action required", "next step"], &[], 4,
            format!(
                r"(?:^|[\s>.;(\[*_-])(?:todo|to-do|action item|action required|next step)\s*[:\-–—]\s*(?:\[ \]\s*)?(?:please\s+)?{v}\b"
            ),
        ),
        // Role and system markers.
        (
            Cue::RoleMarker, &["##"], &["sys", "admin", "developer", "assistant", "instruction", "override"], CUE_REACH,
            r"#{2,}\s*[\[(]?\s*(?:system|sys|admin|administrator|developer|assistant|instructions?|override)(?:[ _-]?(?:message|msg|prompt|instructions?|note|override|update|command|mode))?\s*[\])]?".to_string(),
        ),
        (
            Cue::RoleMarker, &["sys", "admin", "developer", "instruction", "information", "end of"], &["[", "<", "{"], 8,
            format!(r"\[\s*/?\s*{m}\s*(?:::?|\])|<\s*/?\s*{m}\s*>|\{{\s*{m}\s*\}}"),
        ),
        (
            Cue::RoleMarker, &["sys", "admin"], &["("], 8,
            r"\(\s*(?:system|sys|admin|system[ _-]?(?:message|msg|prompt|note|override))\s*\)".to_string(),
        ),
        (
            Cue::RoleLine, &["sys", "admin", "developer", "instruction"], &[":"], CUE_REACH,
            r"(?m)^[ \t]*(?:#+[ \t]*|\*\*|>[ \t]*|-{2,}[ \t]*)?(?:system|system message|system prompt|system note|system instruction|system override|admin|administrator|admin message|admin request|developer|developer message|developer note|core instruction|sys)[ \t]*(?:\*\*)?[ \t]*:".to_string(),
        ),
        (
            Cue::RoleMarker, &["user:", "human:"], &[], CUE_REACH,
            r"(?m)^[ \t>]*(?:user|human):[^\n]*\n(?:[^\n]*\n){0,6}?[ \t>]*(?:assistant|ai|bot|chatbot|model)[ \t]*:|(?m)^[ \t>]*(?:assistant|ai|bot|chatbot|model)[ \t]*:[^\n]*\n(?:[^\n]*\n){0,6}?[ \t>]*(?:user|human):".to_string(),
        ),
        (
            Cue::RoleMarker, &["endoftext", "untrusted", "end of", "</document", "</context", "</tool_", "</search_result", "</function_result"], &[], CUE_REACH,
            r"<\|?endoftext\|?>|</?untrusted[\w-]*>|<end of (?:session|conversation|context|document|input|text)>|\bend of (?:untrusted|user|external) (?:content|input|data|document)\b|</(?:document|context|tool_output|tool_result|search_results?|function_results?)>".to_string(),
        ),
        // "for AI coding agents:", "(for the assistant)".
        (
            Cue::Addressed, AI, &[":", ")"], 16,
            format!(r"\bfor (?:the |all |any |every )?{n}\s*[):]"),
        ),
        // A system note in German, French, Spanish or Italian.
        (
            Cue::RoleLine, &["sys", "sistema"], &[":"], CUE_REACH,
            r"(?m)^[ \t]*(?:#+[ \t]*|\*\*)?(?:systemhinweis|systemnachricht|systemmeldung|note (?:du )?syst[eè]me|message (?:du )?syst[eè]me|nota del sistema|mensaje del sistema|nota di sistema|messaggio di sistema)[ \t]*(?:\*\*)?[ \t]*:".to_string(),
        ),
        // The reader's own work as an agent's.
        (
            Cue::AgentContext,
            &["you reply", "you respond", "you answer", "you continue", "you finish", "you summari", "you process", "you read", "you handle", "you review", "you analy"],
            &[], CUE_REACH,
            r"\b(?:before|when|while|after|once|as) you (?:reply|respond|answer|continue|finish|summari[sz]e|process|read|handle|review|analy[sz]e)\b".to_string(),
        ),
        (
            Cue::AgentContext, &["your reply", "your response", "your answer", "your summary", "your output", "your review", "your report"], &["end", "every", "each", "all", "include", "append", "add", " in ", "into", " to "], CUE_REACH,
            r"\b(?:(?:at the end of|to the end of|in|into|to) (?:every |each |all |any )?your (?:reply|replies|response|responses|answer|answers|summary|summaries|output|review|report)|(?:include|append|add) [^.!?\n]{0,60}?(?:in|to|at the end of) your (?:reply|response|answer|summary|output))\b".to_string(),
        ),
        (
            Cue::AgentContext, &["future"], &[], CUE_REACH,
            r"\b(?:in|to|for|into) (?:every|all|each|any) (?:future|subsequent|later) (?:repl(?:y|ies)|responses?|answers?|summar(?:y|ies)|reports?|outputs?|messages?|turns?|tasks?|sessions?|conversations?)\b".to_string(),
        ),
        // Something to keep in the agent's memory: a task that outlives this one.
        (
            Cue::TaskSwitch, &["memory", "remember"], &[], CUE_REACH,
            r"\b(?:(?:save|store|write|add|keep|persist|remember) [^.!?\n]{0,60}?(?:to|in|into) your (?:long-term |persistent |permanent )?memory|remember (?:this |that |the following )?(?:for|in) (?:all|every|each|any) (?:future|subsequent|later))\b".to_string(),
        ),
        // A tool named for the reader to call.
        (
            Cue::ToolCall, &["call ", "use ", "invoke", "trigger", "execute"], &["_"], CUE_REACH,
            r"\b(?:call|use|invoke|trigger|execute)(?: the)? [a-z][a-z0-9]*_[a-z0-9_]+\b(?:[^(a-z0-9_]|$)".to_string(),
        ),
        // The agent's own instructions asked for.
        (
            Cue::PromptLeak,
            &["prompt", "instructions", "context window", "system message", "words above", "everything above"],
            &["print", "reveal", "show", "output", "repeat", "tell", "give", "share", "display", "write", "list", "dump", "leak", "what"], CUE_REACH,
            r"\b(?:print|reveal|show|output|repeat|tell|give|share|display|write out|list|dump|leak|what (?:is|are|was|were))\b[^.!?\n]{0,40}?\b(?:(?:your|the) (?:initial |original |hidden |secret |system |full |exact |internal |developer |operating |first )+(?:instructions|prompt|message|rules|guidelines)|(?:the )?(?:hidden|system|initial|original) prompt|(?:everything|all|the contents?) (?:in|of) your context(?: window)?|the (?:words|text|everything) above|everything above|the (?:exact )?instructions you (?:were|have been) given)\b".to_string(),
        ),
        (
            Cue::PromptLeak,
            &["systemanweisung", "instructions syst", "instrucciones del sistema", "istruzioni di sistema"],
            &[], CUE_REACH,
            r"systemanweisungen|instructions syst[eè]me|instrucciones del sistema|istruzioni di sistema".to_string(),
        ),
        // Data worth stealing.
        (
            Cue::SensitiveData,
            &["api key", "credential", "password", "secret", "token", "private key", "cookie", "customer", "personal data", "user data", "history", "environment variable", ".env"],
            &["send", "forward", "mail", "share", "post", "upload", "transfer", "submit", "leak", "exfiltrate", "paste", "copy", "publish", "deliver", "export", "call ", "use ", "invoke", "wire", "dm "], CUE_REACH,
            r"\b(?:api keys?|credentials|passwords?|secrets|access tokens?|auth tokens?|private keys?|session cookies?|customer (?:emails|e-mails|data|list|records|details)|personal data|user data|(?:conversation|chat|browsing|order|transaction) history|environment variables)\b|\.env\b".to_string(),
        ),
        // "the instructions you were given".
        (
            Cue::TaskSwitch, &["instructions", "prompt"], &["you were", "you have been", "you are"], CUE_REACH,
            r"\b(?:instructions|rules|guidelines|system prompt|prompt) (?:that )?you (?:were|have been|are) (?:given|told|assigned|following)\b".to_string(),
        ),
    ];
    let mut cues = Vec::with_capacity(sources.len());
    let mut by_anchor: Vec<Vec<usize>> = vec![Vec::new(); CUE_WORDS.len()];
    for (i, (cue, anchors, needs, back, source)) in sources.into_iter().enumerate() {
        let regex = Regex::new(&source);
        #[cfg(test)]
        if let Err(e) = &regex {
            eprintln!("pattern {i}: {e}");
        }
        cues.push(Pattern { cue, needs, back, regex: regex.ok()? });
        for anchor in anchors {
            let at = CUE_WORDS.iter().position(|w| w == anchor);
            #[cfg(test)]
            if at.is_none() {
                eprintln!("pattern {i}: anchor {anchor:?} is not in CUE_WORDS");
            }
            by_anchor.get_mut(at?)?.push(i);
        }
    }
    let directive = debug_built("directive", Regex::new(&format!(
        r"\byou (?:must|should|shall|need to|have to|are (?:hereby )?(?:required|instructed|obliged|expected|supposed|ordered|directed) to|will now|may not|must not|cannot|are not allowed|are to)\b|\b(?:must|should|shall) (?:first|always|now|immediately|also|never)\b|\b(?:muss|müssen|doit|doivent|debe|deben|deve|devono|soll|sollst)\b|\b(?:please|kindly)\b,? (?:\w+ )?{v}\b|\bmake sure (?:you|to|that)\b|\b(?:if|when|once|after|before|as) you [^.!?\n]{{0,80}}?,\s*(?:please\s+)?{v}\b|\b(?:do not|don't|never) (?:tell|mention|reveal|inform|disclose|say|alert|notify|let|ask|warn|show|evaluate|deviate)\b|\b(?:reply|respond|answer|output|print|say|write|repeat|return|report) (?:only |just |back |exactly |verbatim |with only |simply )?(?:with\b|that\b|the following|exactly|verbatim|[\x22'“<])|\bif (?:the )?(?:user|anyone|someone|somebody|asked|questioned|prompted)\b|(?:[.!?:]\s+|\n\s*){v}\b"
    )))
    .ok()?;
    // Moving data to a destination: what an exfiltration needs.
    let exfil = r#"\b(?:send|sending|transfer|forward|post|email|e-mail|upload|submit|share|leak|exfiltrate|wire|pay|invite|paste|copy|publish|dm|deliver|export|mail)\b[^.!?\n]{0,160}?\b(?:to|into|at|on|via|with)\s+(?:the |this |my |our |an? |his |her |their )?(?:[\w-]+'s )?[\x22'“‘<(]?(?:[\w.+-]+@[\w-]+\.[a-z.]{2,}|https?://|www\.|[\w-]+\.(?:com|net|org|io|xyz|ru|cn|info|co|biz|app|dev|site|online|top)\b|[a-z]{2}\d{2}[a-z0-9]{10,}|(?:new |following |external |personal |secret |this |that |another |attacker'?s? )?(?:e-?mail(?: address)?|website|web site|url|server|endpoint|webhook|iban|account)\b)|\b(?:send|sending|forward|email|e-mail|mail|share|post)\b[^.!?\n]{0,120}?\bto\b[^.!?\n]{0,40}?[\w.+-]+@[\w-]+\.[a-z]{2,}|\b(?:call|use|invoke)(?: the)? [a-z][a-z0-9]*_[a-z0-9_]+\b[^.!?\n]{0,100}?(?:https?://|www\.|[\w.+-]+@[\w-]+\.[a-z]{2,}|\./|\s/[a-z])"#;
    // Opening a link, deleting, or changing credentials or recipients.
    let other_actions = r#"\b(?:visit|open|click|go to|navigate to|browse to|load|fetch|access)\b[^.!?\n]{0,60}?(?:https?://|www\.|[\w-]+\.(?:com|net|org|io|xyz|ru|info|app|site)\b)|\b(?:send|share|post|forward) (?:a |the |this )?(?:link|url|phishing)|\b(?:delete|remove|erase|wipe|purge) (?:all |every |the |any )(?:\w+ )?(?:files?|emails?|messages?|records?|data|items|users?|accounts?|logs?|backups?)|\b(?:change|reset|update|modify|set) (?:the |my |your )?(?:user'?s? )?(?:password|recipient|e-?mail address|iban|permissions?|role)"#;
    let action = debug_built("action", Regex::new(&format!("{exfil}|{other_actions}"))).ok()?;
    let exfil = debug_built("exfil", Regex::new(exfil)).ok()?;
    let after_marker = Regex::new(&format!(r"^[\s:)\]>*_-]*(?:please\b|you\b|your\b|the user\b|{v}\b)")).ok()?;
    Some(Patterns { anchors, by_anchor, cues, directive, action, exfil, after_marker })
}

/// `built`, reporting a pattern that does not compile when testing.
fn debug_built(name: &str, built: Result<Regex, regex_lite::Error>) -> Result<Regex, regex_lite::Error> {
    #[cfg(test)]
    if let Err(e) = &built {
        eprintln!("{name}: {e}");
    }
    let _ = name;
    built
}

/// A cue and where it starts.
#[derive(Debug, Clone, Copy)]
struct Found {
    cue: Cue,
    start: usize,
    end: usize,
}

/// What [`find`] reports: whether the instruction rests on a role marker, and where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finding {
    pub marker: bool,
    pub start: usize,
}

/// The largest char boundary at or below `at`.
fn floor(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The smallest char boundary at or above `at`.
fn ceil(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// An instruction written for an AI agent, if the cues in `text` show one; `None` when the patterns could not
/// be built (the caller fails closed).
pub fn find(text: &str) -> Option<Option<Finding>> {
    patterns().map(|p| find_with(p, text))
}

fn find_with(p: &Patterns, text: &str) -> Option<Finding> {
    // Most texts have no anchor word: one pass over them, without a lower-case copy.
    p.anchors.find(text)?;
    let lower = text.to_ascii_lowercase();
    let mut found: Vec<Found> = Vec::new();
    let mut seen: HashSet<(Cue, usize)> = HashSet::new();
    // Windows already read for each pattern, so anchors close together do not read the same text again.
    let mut read_to = vec![0usize; p.cues.len()];
    for anchor in p.anchors.find_overlapping_iter(&lower) {
        let to = ceil(&lower, anchor.end() + CUE_REACH);
        for &i in p.by_anchor.get(anchor.pattern().as_usize()).into_iter().flatten() {
            let Some(Pattern { cue, needs, back, regex }) = p.cues.get(i) else { continue };
            let from = floor(&lower, anchor.start().saturating_sub(*back));
            // The part already read is read again only as far as a match can reach back into it.
            let start = from.max(read_to[i].saturating_sub(OVERLAP));
            if start >= to {
                continue;
            }
            // Line-start patterns need to see where a line in the reach starts.
            let start = lower.get(from..start).and_then(|b| b.rfind('\n')).map_or(start, |nl| from + nl);
            let Some(window) = lower.get(start..to) else { continue };
            read_to[i] = to;
            if !needs.is_empty() && !needs.iter().any(|w| window.contains(w)) {
                continue;
            }
            for m in regex.find_iter(window) {
                let (s, e) = (start + m.start(), start + m.end());
                if seen.insert((*cue, s)) {
                    found.push(Found { cue: *cue, start: s, end: e });
                }
            }
        }
    }
    if found.is_empty() {
        return None;
    }
    found.sort_by_key(|f| f.start);
    if let Some(f) = found.iter().find(|f| f.cue == Cue::PromptLeak) {
        return Some(Finding { marker: false, start: f.start });
    }
    // A role marker followed at once by an instruction.
    for f in found.iter().filter(|f| matches!(f.cue, Cue::RoleMarker | Cue::RoleLine)) {
        let after = lower.get(f.end..ceil(&lower, f.end + 80)).unwrap_or("");
        if p.after_marker.is_match(after) {
            return Some(Finding { marker: true, start: f.start });
        }
    }
    // Two kinds of cue close together (a to-do item counts as a task switch here).
    let kind = |c: Cue| match c {
        Cue::TodoItem => Cue::TaskSwitch,
        Cue::RoleLine => Cue::RoleMarker,
        c => c,
    };
    for (i, a) in found.iter().enumerate() {
        for b in found.iter().skip(i + 1) {
            if b.start > a.end + PAIR_REACH {
                break;
            }
            // Names of stealable data count only with an action that moves them.
            if a.cue == Cue::SensitiveData || b.cue == Cue::SensitiveData {
                continue;
            }
            if kind(a.cue) != kind(b.cue) {
                let marker = kind(a.cue) == Cue::RoleMarker || kind(b.cue) == Cue::RoleMarker;
                return Some(Finding { marker, start: a.start });
            }
        }
    }
    // A cue with an instruction near it: an action on data or a destination, or (except for the cues ordinary
    // notes, mail, notices and documentation have too: to-do items, the reader's work, tool names, authority)
    // any directive.
    // Each check reads a stretch of text once (with an overlap as long as its matches), however many cues
    // lie close together, so text dense with cues costs no more than a pass per check.
    let mut read_to = [0usize; 3];
    for f in &found {
        let from = floor(&lower, f.start.saturating_sub(PAIR_REACH / 2));
        let to = ceil(&lower, f.end + PAIR_REACH);
        let mut window = |check: usize| {
            let start = floor(&lower, from.max(read_to[check].saturating_sub(ACTION_OVERLAP)));
            let already = read_to[check] >= to;
            read_to[check] = read_to[check].max(to);
            if already {
                None
            } else {
                lower.get(start..to)
            }
        };
        let acts = if f.cue == Cue::SensitiveData {
            // Security advice tells people what never to send; an attack does not negate its action.
            window(0).is_some_and(|w| {
                p.exfil.find_iter(w).any(|m| {
                    let before = w.get(floor(w, m.start().saturating_sub(40))..m.start()).unwrap_or("");
                    !["never", "not ", "n't ", "no one", "nobody"].iter().any(|n| before.contains(n))
                })
            })
        } else {
            window(1).is_some_and(|w| p.action.is_match(w))
        };
        let weak = matches!(
            f.cue,
            Cue::TodoItem | Cue::AgentContext | Cue::ToolCall | Cue::SensitiveData | Cue::Authority | Cue::RoleLine
        );
        let directs = if f.cue == Cue::RoleLine {
            // A role label's directive is on its own line: a `system:` key in code has statements around it.
            let rest = lower.get(f.end..ceil(&lower, f.end + 200)).unwrap_or("");
            p.directive.is_match(rest.split('\n').next().unwrap_or(""))
        } else {
            !weak && window(2).is_some_and(|w| p.directive.is_match(w))
        };
        if acts || directs {
            return Some(Finding { marker: matches!(f.cue, Cue::RoleMarker | Cue::RoleLine), start: f.start });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_builds_and_every_anchor_is_a_cue_word() {
        assert!(patterns().is_some());
    }

    #[test]
    fn text_dense_with_cues_is_read_in_linear_time() {
        // Cues that never combine, thousands of times: each check still reads the text about once.
        let text = "Use snake_case names. Your order history is in your account. TODO: check the docs. ".repeat(500);
        let started = std::time::Instant::now();
        assert_eq!(find(&text), Some(None));
        assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    }

    #[test]
    fn every_cue_word_starts_a_pattern() {
        // The prefilter lets through every string with a cue word: a word no pattern needs only costs.
        let p = patterns().unwrap_or_else(|| panic!("patterns"));
        for (word, starts) in CUE_WORDS.iter().zip(&p.by_anchor) {
            assert!(!starts.is_empty(), "{word:?} starts no pattern");
        }
    }
}
