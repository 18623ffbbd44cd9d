package mailin

// The words and labels mail clients put above quoted history, in the
// languages their interfaces ship in. All lowercase; compared with the
// lowercased line.

// wroteWords end an attribution line such as "On … wrote:". Latin-script
// words must stand as words; the others match anywhere.
var wroteWords = []string{
	// English, German, Dutch, Scandinavian, Finnish, Estonian, Icelandic
	"wrote", "writes", "schrieb", "schreibt", "schreef", "geschreven", "skrev", "skriver",
	"kirjoitti", "kirjutas", "skrifaði",
	// Romance
	"a écrit", "escribió", "escribio", "ha escrit", "va escriure", "escreveu",
	"ha scritto", "scrisse", "a scris",
	// Slavic, Baltic, Hungarian, Turkish, Greek, Indonesian, Vietnamese
	"napisał", "napisała", "napisal", "napisala", "napsal", "napsala", "napísal", "napísala",
	"pisze", "piše", "написал", "написала", "написав", "написала", "пишет", "пише", "написа",
	"rašė", "rakstīja", "írta", "yazdı", "έγραψε", "menulis", "đã viết",
	// Horde's "Quoting Ann <ann@example.com>:" and its translations
	"quoting", "zitat von", "citation de", "citando", "citaat van",
	// Japanese, Chinese, Korean, Hebrew, Arabic
	"のメッセージ", "のメール", "は書きました", "写道", "寫道", "작성", "כתב", "كتب",
}

// attributionLeads begin an attribution that names the date first
// ("On …", "Am …", "Le …"). A line starting with one of them may be the
// first of an attribution wrapped over several lines.
var attributionLeads = []string{
	"on", "am", "le", "el", "em", "op", "il", "den", "på", "w", "dne", "в", "στις", "pe",
	"no", "na", "pada", "vào", "en", "à", "al", "kl.", "el día", "il giorno", "在", "於",
}

// originalMessageWords are the titles of Outlook's and other clients'
// "-----Original Message-----" separators.
var originalMessageWords = []string{
	"original message", "ursprüngliche nachricht", "originalnachricht", "original nachricht",
	"message d'origine", "message d’origine", "message original", "mensaje original",
	"mensagem original", "messaggio originale", "oorspronkelijk bericht", "origineel bericht",
	"ursprungligt meddelande", "originalmeddelande", "oprindelig meddelelse",
	"original meddelelse", "opprinnelig melding", "alkuperäinen viesti", "wiadomość oryginalna",
	"oryginalna wiadomość", "původní zpráva", "původní e-mail", "původní email", "pôvodná správa",
	"pôvodný e-mail", "eredeti üzenet",
	"исходное сообщение", "оригинальное сообщение", "вихідне повідомлення", "orijinal ileti",
	"özgün ileti", "αρχικό μήνυμα", "mesaj original", "mesajul original", "原始邮件", "原始郵件",
	"元のメッセージ", "원본 메시지", "reply message",
}

// forwardWords mark a forwarded message, which is content, not history:
// "---------- Forwarded message ---------", "Begin forwarded message:".
var forwardWords = []string{
	"forwarded message", "forward message", "begin forwarded message", "weitergeleitete nachricht",
	"message transféré", "message transfere", "début du message réexpédié",
	"mensaje reenviado", "mensagem encaminhada", "mensagem reencaminhada", "messaggio inoltrato",
	"inizio messaggio inoltrato", "doorgestuurd bericht", "begin doorgestuurd bericht",
	"vidarebefordrat meddelande", "vidarebefordrat brev", "videresendt meddelelse", "videresendt melding",
	"välitetty viesti", "przekazana wiadomość", "wiadomość przekazana", "přeposlaná zpráva",
	"továbbított üzenet", "пересылаемое сообщение", "пересланное сообщение", "переслане повідомлення",
	"iletilen ileti", "προωθημένο μήνυμα", "mesaj redirecționat", "转发的邮件", "轉寄的郵件",
	"転送されたメッセージ", "전달된 메시지",
}

// forwardSubjectPrefixes start the subject of a forwarded message in an
// Outlook header block ("Subject: FW: …").
var forwardSubjectPrefixes = []string{
	"fw:", "fwd:", "fw :", "fwd :", "wg:", "tr:", "tr :", "rv:", "i:", "enc:", "doorst:", "vs:", "vb:",
	"vl:", "pd:", "př:", "továbbítás:", "ynt:", "πρθ:", "转发:", "转发：", "轉寄:", "転送:", "전달:",
}

// headerRole is what a label in a quoted header block names.
type headerRole uint8

const (
	roleNone headerRole = iota
	roleFrom
	roleDate // Sent / Date
	roleTo
	roleCc
	roleSubject
)

// headerLabels maps the labels of quoted header blocks ("From: … Sent: …")
// in Outlook, Apple Mail, Gmail, Yahoo, Thunderbird and webmail to their
// role. Labels shared by several languages ("De", "A") have one role in all.
var headerLabels = map[string]headerRole{
	// From
	"from": roleFrom, "von": roleFrom, "de": roleFrom, "da": roleFrom, "van": roleFrom,
	"från": roleFrom, "fra": roleFrom, "od": roleFrom, "lähettäjä": roleFrom, "от": roleFrom,
	"від": roleFrom, "kimden": roleFrom, "feladó": roleFrom, "από": roleFrom, "de la": roleFrom,
	"差出人": roleFrom, "发件人": roleFrom, "寄件者": roleFrom, "寄件人": roleFrom, "보낸 사람": roleFrom,
	"frá": roleFrom, "nuo": roleFrom, "saatja": roleFrom, "dari": roleFrom, "từ": roleFrom,
	"absender": roleFrom, "expéditeur": roleFrom, "remitente": roleFrom,
	"mittente": roleFrom, "afzender": roleFrom, "avsändare": roleFrom, "nadawca": roleFrom,
	"отправитель": roleFrom, "gönderen": roleFrom,
	// Sent / Date
	"sent": roleDate, "date": roleDate, "gesendet": roleDate, "datum": roleDate, "envoyé": roleDate,
	"envoyé le": roleDate, "envoye": roleDate, "envoye le": roleDate, "enviado": roleDate,
	"enviado el": roleDate, "enviada": roleDate, "enviada em": roleDate, "enviado em": roleDate,
	"fecha": roleDate, "data": roleDate, "inviato": roleDate, "inviato il": roleDate,
	"verzonden": roleDate, "skickat": roleDate, "sendt": roleDate, "dato": roleDate,
	"lähetetty": roleDate, "päivämäärä": roleDate, "wysłano": roleDate, "wysłane": roleDate,
	"odesláno": roleDate, "elküldve": roleDate, "dátum": roleDate, "отправлено": roleDate,
	"дата": roleDate, "надіслано": roleDate, "gönderildi": roleDate, "tarih": roleDate,
	"στάλθηκε": roleDate, "ημερομηνία": roleDate, "trimis": roleDate, "送信日時": roleDate,
	"日付": roleDate, "发送时间": roleDate, "日期": roleDate, "时间": roleDate, "寄件日期": roleDate,
	"傳送時間": roleDate, "보낸 날짜": roleDate, "날짜": roleDate, "sent at": roleDate,
	"sendt dato": roleDate, "saadetud": roleDate, "terkirim": roleDate,
	"đã gửi": roleDate, "išsiųsta": roleDate, "date sent": roleDate,
	// To
	"to": roleTo, "an": roleTo, "à": roleTo, "a": roleTo, "para": roleTo, "aan": roleTo,
	"till": roleTo, "til": roleTo, "do": roleTo, "vastaanottaja": roleTo, "komu": roleTo,
	"címzett": roleTo, "кому": roleTo, "kime": roleTo, "προς": roleTo, "către": roleTo,
	"宛先": roleTo, "收件人": roleTo, "收件者": roleTo, "받는 사람": roleTo, "kam": roleTo,
	"adresát": roleTo, "kepada": roleTo, "đến": roleTo, "empfänger": roleTo, "destinataire": roleTo,
	"destinatario": roleTo, "destinatário": roleTo,
	// Cc
	"cc": roleCc, "kopie": roleCc, "kopia": roleCc, "kopi": roleCc, "kopio": roleCc, "dw": roleCc,
	"копия": roleCc, "másolatot kap": roleCc, "másolat": roleCc, "bilgi": roleCc, "κοιν.": roleCc,
	"抄送": roleCc, "副本": roleCc, "참조": roleCc, "cci": roleCc, "bcc": roleCc, "ccn": roleCc,
	"cco": roleCc, "копія": roleCc,
	// Subject
	"subject": roleSubject, "betreff": roleSubject, "objet": roleSubject, "asunto": roleSubject,
	"assunto": roleSubject, "oggetto": roleSubject, "onderwerp": roleSubject, "ämne": roleSubject,
	"emne": roleSubject, "aihe": roleSubject, "temat": roleSubject, "předmět": roleSubject,
	"tárgy": roleSubject, "тема": roleSubject, "konu": roleSubject, "θέμα": roleSubject,
	"subiect": roleSubject, "件名": roleSubject, "主题": roleSubject, "主旨": roleSubject,
	"제목": roleSubject, "efni": roleSubject, "tema": roleSubject, "teema": roleSubject,
	"perihal": roleSubject, "chủ đề": roleSubject, "predmet": roleSubject,
}

// mobileSignatures start the line a phone or app client adds below the
// new text ("Sent from my iPhone").
var mobileSignatures = []string{
	"sent from my ", "sent from outlook", "sent from mail for windows", "sent from yahoo mail",
	"sent from samsung", "sent from the all new aol app", "sent from aol mobile mail",
	"sent with proton mail", "sent from proton mail", "sent via ", "sent from gmail mobile",
	"get outlook for ", "von meinem ", "gesendet von meinem ", "gesendet von outlook",
	"gesendet mit der ", "gesendet von mail für windows", "envoyé de mon ", "envoyé depuis mon ",
	"envoyé à partir de ", "envoyé de outlook", "obtenir outlook pour ", "enviado desde mi ",
	"enviado desde outlook", "enviado do meu ", "enviado do outlook", "obter o outlook para ",
	"obtener outlook para ", "inviato da iphone", "inviato dal mio ", "inviato da outlook",
	"verzonden vanaf mijn ", "verstuurd vanaf mijn ", "verzonden met ", "outlook voor ",
	"skickat från min ", "skickat från outlook", "sendt fra min ", "sendt fra outlook",
	"lähetetty iphonesta", "wysłane z mojego ", "wysłane z iphone", "wysłano z ",
	"odesláno z ", "отправлено с ", "отправлено из ", "надіслано з ", "iphoneから送信",
	"ipadから送信", "发自我的", "从我的", "從我的", "iphone'umdan gönderildi", "iphone에서 보냄",
}

// valedictions close a letter; with StripSignatures a line that is only
// one of them, near the end, starts the signature.
var valedictions = []string{
	"regards", "best regards", "kind regards", "warm regards", "warmest regards", "best wishes",
	"cheers", "sincerely", "yours sincerely", "yours truly", "yours faithfully", "all the best",
	"mit freundlichen grüßen", "mit freundlichen grüssen", "freundliche grüße", "viele grüße",
	"beste grüße", "liebe grüße", "gruß", "grüße", "cordialement", "bien cordialement",
	"bien à vous", "salutations", "saludos", "un saludo", "saludos cordiales", "atentamente",
	"atenciosamente", "abraços", "cumprimentos", "cordiali saluti", "saluti", "distinti saluti",
	"met vriendelijke groet", "met vriendelijke groeten", "vriendelijke groet", "groeten",
	"med vänlig hälsning", "med vänliga hälsningar", "vänliga hälsningar", "hälsningar",
	"med venlig hilsen", "venlig hilsen", "med vennlig hilsen", "vennlig hilsen", "hilsen",
	"ystävällisin terveisin", "terveisin", "pozdrawiam", "z poważaniem", "s pozdravem",
	"üdvözlettel", "с уважением", "saygılarımla", "敬具", "此致", "감사합니다",
}
