package web

import (
	"fmt"
	"net/http"

	"golang.org/x/text/language"
)

// The customer's pages speak the customer's language: that of the ticket
// a link names (as its mails do), else the browser's (Accept-Language),
// else English. The texts are English in the code and translated here,
// in the formal register of the desk's mail templates.

// pageLanguages are the languages the pages are written in; the first is
// the fallback.
var pageLanguages = []language.Tag{language.English, language.German, language.French, language.Spanish}

var languageMatcher = language.NewMatcher(pageLanguages)

// pageTexts are the translations of every text of the pages: German,
// French and Spanish, by the English text (a fmt format where the text
// has values in it).
var pageTexts = map[string][3]string{
	// The ticket's page.
	"Your request %s":   {"Ihre Anfrage %s", "Votre demande %s", "Su solicitud %s"},
	"Ticket":            {"Ticket", "Ticket", "Ticket"},
	"Status":            {"Status", "Statut", "Estado"},
	"Conversation":      {"Verlauf", "Échanges", "Conversación"},
	"%s (our team)":     {"%s (unser Team)", "%s (notre équipe)", "%s (nuestro equipo)"},
	"Attached:":         {"Angehängt:", "Pièces jointes :", "Adjuntos:"},
	"No messages yet.":  {"Noch keine Nachrichten.", "Pas encore de message.", "Todavía no hay mensajes."},
	"Reply":             {"Antworten", "Répondre", "Responder"},
	"Your reply":        {"Ihre Antwort", "Votre réponse", "Su respuesta"},
	"Send my reply":     {"Antwort senden", "Envoyer ma réponse", "Enviar mi respuesta"},
	"Close this ticket": {"Ticket schließen", "Fermer ce ticket", "Cerrar este ticket"},
	"if you need nothing more.": {"wenn Sie nichts weiter benötigen.", "si vous n'avez besoin de rien d'autre.",
		"si no necesita nada más."},
	"We have not started on this request yet: please confirm that you sent it.": {
		"Wir haben mit dieser Anfrage noch nicht begonnen: Bitte bestätigen Sie, dass Sie sie gesendet haben.",
		"Nous n'avons pas encore commencé à traiter cette demande : veuillez confirmer que vous l'avez envoyée.",
		"Todavía no hemos empezado con esta solicitud: confirme que la ha enviado usted."},
	"Confirm my request":            {"Anfrage bestätigen", "Confirmer ma demande", "Confirmar mi solicitud"},
	"Waiting for your confirmation": {"Wartet auf Ihre Bestätigung", "En attente de votre confirmation", "Pendiente de su confirmación"},
	"Open: we are working on it":    {"Offen: Wir arbeiten daran", "Ouvert : nous nous en occupons", "Abierto: estamos trabajando en ello"},
	"Waiting for your answer":       {"Wartet auf Ihre Antwort", "En attente de votre réponse", "Pendiente de su respuesta"},
	"Resolved: reply if it is not":  {"Gelöst: Antworten Sie, falls nicht", "Résolu : répondez si ce n'est pas le cas", "Resuelto: responda si no es así"},
	"Closed":                        {"Geschlossen", "Fermé", "Cerrado"},
	"Continued in another ticket":   {"In einem anderen Ticket fortgeführt", "Poursuivi dans un autre ticket", "Continúa en otro ticket"},
	"Thank you: your reply was added to the ticket.": {"Vielen Dank: Ihre Antwort wurde dem Ticket hinzugefügt.",
		"Merci : votre réponse a été ajoutée au ticket.", "Gracias: su respuesta se ha añadido al ticket."},
	"Thank you: your request is confirmed, and our team has it now.": {
		"Vielen Dank: Ihre Anfrage ist bestätigt, und unser Team kümmert sich nun darum.",
		"Merci : votre demande est confirmée, et notre équipe s'en occupe désormais.",
		"Gracias: su solicitud está confirmada y nuestro equipo ya se ocupa de ella."},
	"The ticket is closed. If you need more help, reply to our last email.": {
		"Das Ticket ist geschlossen. Wenn Sie weitere Hilfe benötigen, antworten Sie auf unsere letzte E-Mail.",
		"Le ticket est fermé. Si vous avez besoin d'aide, répondez à notre dernier e-mail.",
		"El ticket está cerrado. Si necesita más ayuda, responda a nuestro último correo."},
	"Please write a reply of at most %d characters.": {"Bitte schreiben Sie eine Antwort von höchstens %d Zeichen.",
		"Veuillez écrire une réponse de %d caractères au plus.", "Escriba una respuesta de %d caracteres como máximo."},

	// The form that opens a ticket.
	"Open a support request": {"Supportanfrage stellen", "Ouvrir une demande d'assistance", "Abrir una solicitud de soporte"},
	"Tell us what you need; we answer by email. Fields marked * are required.": {
		"Sagen Sie uns, was Sie benötigen; wir antworten per E-Mail. Mit * markierte Felder sind Pflichtfelder.",
		"Dites-nous ce dont vous avez besoin ; nous répondons par e-mail. Les champs marqués * sont obligatoires.",
		"Díganos qué necesita; respondemos por correo electrónico. Los campos marcados con * son obligatorios."},
	"Your name":            {"Ihr Name", "Votre nom", "Su nombre"},
	"Your email address *": {"Ihre E-Mail-Adresse *", "Votre adresse e-mail *", "Su dirección de correo electrónico *"},
	"We send a confirmation there: your request is taken once you confirm it.": {
		"Wir senden eine Bestätigung dorthin: Ihre Anfrage wird bearbeitet, sobald Sie sie bestätigen.",
		"Nous y envoyons une confirmation : votre demande est prise en charge une fois confirmée.",
		"Le enviaremos una confirmación: atenderemos su solicitud en cuanto la confirme."},
	"Leave this field empty": {"Dieses Feld leer lassen", "Laissez ce champ vide", "Deje este campo vacío"},
	"Subject *":              {"Betreff *", "Objet *", "Asunto *"},
	"Your message *":         {"Ihre Nachricht *", "Votre message *", "Su mensaje *"},
	"Attachments (optional)": {"Anhänge (optional)", "Pièces jointes (facultatif)", "Adjuntos (opcional)"},
	"Up to %d files, %s in all.": {"Bis zu %d Dateien, insgesamt %s.", "Jusqu'à %d fichiers, %s au total.",
		"Hasta %d archivos, %s en total."},
	"Send my request":  {"Anfrage senden", "Envoyer ma demande", "Enviar mi solicitud"},
	"Check your email": {"Bitte sehen Sie in Ihr Postfach", "Consultez votre messagerie", "Revise su correo"},
	"Thank you. We have sent an email to the address you gave: please confirm your request with the link in it, or by replying to it. If it does not arrive within a few minutes, look in your spam folder.": {
		"Vielen Dank. Wir haben eine E-Mail an die angegebene Adresse gesendet: Bitte bestätigen Sie Ihre Anfrage mit dem Link darin oder indem Sie darauf antworten. Wenn sie nicht innerhalb weniger Minuten ankommt, sehen Sie bitte in Ihrem Spam-Ordner nach.",
		"Merci. Nous avons envoyé un e-mail à l'adresse indiquée : veuillez confirmer votre demande avec le lien qu'il contient, ou en y répondant. S'il n'arrive pas d'ici quelques minutes, consultez votre dossier de courrier indésirable.",
		"Gracias. Hemos enviado un correo a la dirección indicada: confirme su solicitud con el enlace que contiene o respondiendo a él. Si no llega en unos minutos, revise su carpeta de correo no deseado."},
	"Please give an email address like name@example.com: we answer there.": {
		"Bitte geben Sie eine E-Mail-Adresse wie name@example.com an: Wir antworten dorthin.",
		"Veuillez indiquer une adresse e-mail comme nom@example.com : nous y répondons.",
		"Indique una dirección de correo como nombre@example.com: responderemos allí."},
	"Please give your request a subject.": {"Bitte geben Sie Ihrer Anfrage einen Betreff.",
		"Veuillez donner un objet à votre demande.", "Indique un asunto para su solicitud."},
	"Please shorten the subject to %d characters.": {"Bitte kürzen Sie den Betreff auf %d Zeichen.",
		"Veuillez raccourcir l'objet à %d caractères.", "Acorte el asunto a %d caracteres."},
	"Please shorten your name to %d characters.": {"Bitte kürzen Sie Ihren Namen auf %d Zeichen.",
		"Veuillez raccourcir votre nom à %d caractères.", "Acorte su nombre a %d caracteres."},
	"Please tell us what you need in the message.": {"Bitte schreiben Sie in die Nachricht, was Sie benötigen.",
		"Veuillez indiquer dans le message ce dont vous avez besoin.", "Indíquenos en el mensaje qué necesita."},
	"Please shorten your message to %d characters, or attach the rest as a file.": {
		"Bitte kürzen Sie Ihre Nachricht auf %d Zeichen, oder hängen Sie den Rest als Datei an.",
		"Veuillez raccourcir votre message à %d caractères, ou joindre le reste en fichier.",
		"Acorte su mensaje a %d caracteres o adjunte el resto como archivo."},
	"Please attach at most %d files.": {"Bitte hängen Sie höchstens %d Dateien an.",
		"Veuillez joindre %d fichiers au plus.", "Adjunte %d archivos como máximo."},

	// The survey.
	"Rate our help": {"Bewerten Sie unsere Hilfe", "Évaluez notre aide", "Valore nuestra ayuda"},
	"You rated this ticket %d of 5. Sending this form again replaces that rating.": {
		"Sie haben dieses Ticket mit %d von 5 bewertet. Wenn Sie dieses Formular erneut senden, ersetzt das diese Bewertung.",
		"Vous avez noté ce ticket %d sur 5. Envoyer ce formulaire à nouveau remplace cette note.",
		"Valoró este ticket con %d de 5. Si envía este formulario de nuevo, sustituirá esa valoración."},
	"How did we do?":         {"Wie haben wir es gemacht?", "Comment avons-nous fait ?", "¿Qué tal lo hicimos?"},
	"Comment (optional)":     {"Kommentar (optional)", "Commentaire (facultatif)", "Comentario (opcional)"},
	"At most %d characters.": {"Höchstens %d Zeichen.", "%d caractères au plus.", "%d caracteres como máximo."},
	"Send my rating":         {"Bewertung senden", "Envoyer ma note", "Enviar mi valoración"},
	"Thank you":              {"Vielen Dank", "Merci", "Gracias"},
	"We recorded your rating of ticket %s (%s):": {"Wir haben Ihre Bewertung des Tickets %s (%s) gespeichert:",
		"Nous avons enregistré votre note du ticket %s (%s) :", "Hemos registrado su valoración del ticket %s (%s):"},
	"%d of 5, %s":            {"%d von 5, %s", "%d sur 5, %s", "%d de 5, %s"},
	"Your comment:":          {"Ihr Kommentar:", "Votre commentaire :", "Su comentario:"},
	"Changed your mind?":     {"Haben Sie es sich anders überlegt?", "Vous avez changé d'avis ?", "¿Ha cambiado de opinión?"},
	"Rate this ticket again": {"Ticket erneut bewerten", "Noter à nouveau ce ticket", "Valorar de nuevo este ticket"},
	"; a new rating replaces this one.": {"; eine neue Bewertung ersetzt diese.", " ; une nouvelle note remplace celle-ci.",
		"; una nueva valoración sustituye a esta."},
	"very poor": {"sehr schlecht", "très mauvais", "muy mala"},
	"poor":      {"schlecht", "mauvais", "mala"},
	"fair":      {"mittelmäßig", "moyen", "regular"},
	"good":      {"gut", "bon", "buena"},
	"excellent": {"ausgezeichnet", "excellent", "excelente"},
	"Please choose a rating from 1 to 5.": {"Bitte wählen Sie eine Bewertung von 1 bis 5.",
		"Veuillez choisir une note de 1 à 5.", "Elija una valoración del 1 al 5."},
	"Your comment has %d characters; at most %d fit. Please shorten it and send the form again.": {
		"Ihr Kommentar hat %d Zeichen; höchstens %d sind möglich. Bitte kürzen Sie ihn und senden Sie das Formular erneut.",
		"Votre commentaire compte %d caractères ; %d au plus sont acceptés. Veuillez le raccourcir et renvoyer le formulaire.",
		"Su comentario tiene %d caracteres; caben %d como máximo. Acórtelo y envíe el formulario de nuevo."},
	"Your comment is too long. Please shorten it and send the form again.": {
		"Ihr Kommentar ist zu lang. Bitte kürzen Sie ihn und senden Sie das Formular erneut.",
		"Votre commentaire est trop long. Veuillez le raccourcir et renvoyer le formulaire.",
		"Su comentario es demasiado largo. Acórtelo y envíe el formulario de nuevo."},

	// Error pages.
	"Page not found":                    {"Seite nicht gefunden", "Page introuvable", "Página no encontrada"},
	"There is no page at this address.": {"Unter dieser Adresse gibt es keine Seite.", "Il n'y a pas de page à cette adresse.", "No hay ninguna página en esta dirección."},
	"This form was sent from another site": {"Dieses Formular wurde von einer anderen Website gesendet",
		"Ce formulaire a été envoyé depuis un autre site", "Este formulario se envió desde otro sitio"},
	"Nothing was sent. Please open our form and send your request from there.": {
		"Es wurde nichts gesendet. Bitte öffnen Sie unser Formular und senden Sie Ihre Anfrage von dort.",
		"Rien n'a été envoyé. Veuillez ouvrir notre formulaire et envoyer votre demande depuis celui-ci.",
		"No se ha enviado nada. Abra nuestro formulario y envíe su solicitud desde allí."},
	"Your request is too large": {"Ihre Anfrage ist zu groß", "Votre demande est trop volumineuse", "Su solicitud es demasiado grande"},
	"Nothing was sent. The form takes at most %s, attachments included: please leave out or shrink an attachment and try again.": {
		"Es wurde nichts gesendet. Das Formular nimmt höchstens %s auf, Anhänge eingeschlossen: Bitte lassen Sie einen Anhang weg oder verkleinern Sie ihn und versuchen Sie es erneut.",
		"Rien n'a été envoyé. Le formulaire accepte %s au plus, pièces jointes comprises : veuillez retirer ou réduire une pièce jointe et réessayer.",
		"No se ha enviado nada. El formulario admite %s como máximo, adjuntos incluidos: quite o reduzca un adjunto y vuelva a intentarlo."},
	"The form could not be read": {"Das Formular konnte nicht gelesen werden", "Le formulaire n'a pas pu être lu", "No se ha podido leer el formulario"},
	"Nothing was sent. Please open the form again.": {"Es wurde nichts gesendet. Bitte öffnen Sie das Formular erneut.",
		"Rien n'a été envoyé. Veuillez rouvrir le formulaire.", "No se ha enviado nada. Abra el formulario de nuevo."},
	"This form has expired": {"Dieses Formular ist abgelaufen", "Ce formulaire a expiré", "Este formulario ha caducado"},
	"Nothing was sent. Please open the form again and send your request from the new page.": {
		"Es wurde nichts gesendet. Bitte öffnen Sie das Formular erneut und senden Sie Ihre Anfrage von der neuen Seite.",
		"Rien n'a été envoyé. Veuillez rouvrir le formulaire et envoyer votre demande depuis la nouvelle page.",
		"No se ha enviado nada. Abra el formulario de nuevo y envíe su solicitud desde la nueva página."},
	"Too many requests": {"Zu viele Anfragen", "Trop de demandes", "Demasiadas solicitudes"},
	"Nothing was sent: we have received many requests from this %s lately. Please try again later, or write to us by email.": {
		"Es wurde nichts gesendet: Wir haben in letzter Zeit viele Anfragen von dieser %s erhalten. Bitte versuchen Sie es später erneut, oder schreiben Sie uns eine E-Mail.",
		"Rien n'a été envoyé : nous avons reçu beaucoup de demandes de cette %s récemment. Veuillez réessayer plus tard, ou nous écrire par e-mail.",
		"No se ha enviado nada: hemos recibido muchas solicitudes de esta %s últimamente. Vuelva a intentarlo más tarde o escríbanos por correo."},
	"address": {"Adresse", "adresse", "dirección"},
	"source":  {"Quelle", "source", "procedencia"},
	"Something went wrong on our side": {"Bei uns ist etwas schiefgegangen", "Un problème est survenu de notre côté",
		"Algo ha fallado por nuestra parte"},
	"Nothing was sent. Please try again in a few minutes.": {"Es wurde nichts gesendet. Bitte versuchen Sie es in einigen Minuten erneut.",
		"Rien n'a été envoyé. Veuillez réessayer dans quelques minutes.", "No se ha enviado nada. Vuelva a intentarlo dentro de unos minutos."},
	"Please try again in a few minutes.": {"Bitte versuchen Sie es in einigen Minuten erneut.",
		"Veuillez réessayer dans quelques minutes.", "Vuelva a intentarlo dentro de unos minutos."},
	"This link is not valid": {"Dieser Link ist ungültig", "Ce lien n'est pas valide", "Este enlace no es válido"},
	"It may have been cut short or changed: please open it from our email exactly as it is.": {
		"Er wurde vielleicht gekürzt oder verändert: Bitte öffnen Sie ihn genau so aus unserer E-Mail.",
		"Il a peut-être été tronqué ou modifié : veuillez l'ouvrir depuis notre e-mail tel quel.",
		"Puede que se haya cortado o modificado: ábralo desde nuestro correo tal como está."},
	"Nothing changed. Please open the link from our email and use the page it opens.": {
		"Es wurde nichts geändert. Bitte öffnen Sie den Link aus unserer E-Mail und verwenden Sie die Seite, die er öffnet.",
		"Rien n'a changé. Veuillez ouvrir le lien de notre e-mail et utiliser la page qu'il ouvre.",
		"No ha cambiado nada. Abra el enlace de nuestro correo y use la página que abre."},
	"Your reply is too large": {"Ihre Antwort ist zu groß", "Votre réponse est trop volumineuse", "Su respuesta es demasiado grande"},
	"Nothing was sent. The page takes at most %s, attachments included: please leave out or shrink an attachment, or reply by email.": {
		"Es wurde nichts gesendet. Die Seite nimmt höchstens %s auf, Anhänge eingeschlossen: Bitte lassen Sie einen Anhang weg oder verkleinern Sie ihn, oder antworten Sie per E-Mail.",
		"Rien n'a été envoyé. La page accepte %s au plus, pièces jointes comprises : veuillez retirer ou réduire une pièce jointe, ou répondre par e-mail.",
		"No se ha enviado nada. La página admite %s como máximo, adjuntos incluidos: quite o reduzca un adjunto, o responda por correo."},
	"Nothing changed. Please open the link from our email again.": {
		"Es wurde nichts geändert. Bitte öffnen Sie den Link aus unserer E-Mail erneut.",
		"Rien n'a changé. Veuillez rouvrir le lien de notre e-mail.",
		"No ha cambiado nada. Abra de nuevo el enlace de nuestro correo."},
	"Nothing was recorded. Please open the link from our email and send the form from that page.": {
		"Es wurde nichts gespeichert. Bitte öffnen Sie den Link aus unserer E-Mail und senden Sie das Formular von dieser Seite.",
		"Rien n'a été enregistré. Veuillez ouvrir le lien de notre e-mail et envoyer le formulaire depuis cette page.",
		"No se ha registrado nada. Abra el enlace de nuestro correo y envíe el formulario desde esa página."},
	"The form is too large": {"Das Formular ist zu groß", "Le formulaire est trop volumineux", "El formulario es demasiado grande"},
	"Nothing was recorded. Please shorten your comment and try again.": {
		"Es wurde nichts gespeichert. Bitte kürzen Sie Ihren Kommentar und versuchen Sie es erneut.",
		"Rien n'a été enregistré. Veuillez raccourcir votre commentaire et réessayer.",
		"No se ha registrado nada. Acorte su comentario y vuelva a intentarlo."},
	"Nothing was recorded. Please open the link from our email again.": {
		"Es wurde nichts gespeichert. Bitte öffnen Sie den Link aus unserer E-Mail erneut.",
		"Rien n'a été enregistré. Veuillez rouvrir le lien de notre e-mail.",
		"No se ha registrado nada. Abra de nuevo el enlace de nuestro correo."},
	"The form does not belong to this link": {"Das Formular gehört nicht zu diesem Link",
		"Le formulaire ne correspond pas à ce lien", "El formulario no corresponde a este enlace"},
	"Nothing was recorded. The link may have been cut short or changed: please open it from our email exactly as it is.": {
		"Es wurde nichts gespeichert. Der Link wurde vielleicht gekürzt oder verändert: Bitte öffnen Sie ihn genau so aus unserer E-Mail.",
		"Rien n'a été enregistré. Le lien a peut-être été tronqué ou modifié : veuillez l'ouvrir depuis notre e-mail tel quel.",
		"No se ha registrado nada. Puede que el enlace se haya cortado o modificado: ábralo desde nuestro correo tal como está."},
	"You can still rate our help by replying to the survey email with a digit from 1 to 5 on the first line.": {
		"Sie können unsere Hilfe weiterhin bewerten, indem Sie auf die Umfrage-E-Mail mit einer Ziffer von 1 bis 5 in der ersten Zeile antworten.",
		"Vous pouvez toujours évaluer notre aide en répondant à l'e-mail d'enquête avec un chiffre de 1 à 5 sur la première ligne.",
		"Aún puede valorar nuestra ayuda respondiendo al correo de la encuesta con un dígito del 1 al 5 en la primera línea."},
	"This link has expired": {"Dieser Link ist abgelaufen", "Ce lien a expiré", "Este enlace ha caducado"},
	"Nothing was recorded.": {"Es wurde nichts gespeichert.", "Rien n'a été enregistré.", "No se ha registrado nada."},
	"No such ticket":        {"Dieses Ticket gibt es nicht", "Ce ticket n'existe pas", "Este ticket no existe"},
	"Nothing was recorded: the ticket of this link is not in our records.": {
		"Es wurde nichts gespeichert: Das Ticket dieses Links ist bei uns nicht verzeichnet.",
		"Rien n'a été enregistré : le ticket de ce lien ne figure pas dans nos dossiers.",
		"No se ha registrado nada: el ticket de este enlace no consta en nuestros registros."},
	"This ticket cannot be rated now": {"Dieses Ticket kann jetzt nicht bewertet werden",
		"Ce ticket ne peut pas être noté pour l'instant", "Este ticket no se puede valorar ahora"},
	"Nothing was recorded: the ticket is no longer closed (it was opened again, or goes on as another ticket). If it is closed again, this link works again until it expires.": {
		"Es wurde nichts gespeichert: Das Ticket ist nicht mehr geschlossen (es wurde wieder geöffnet oder wird als anderes Ticket fortgeführt). Wird es wieder geschlossen, funktioniert dieser Link wieder, bis er abläuft.",
		"Rien n'a été enregistré : le ticket n'est plus fermé (il a été rouvert, ou se poursuit dans un autre ticket). S'il est de nouveau fermé, ce lien fonctionnera à nouveau jusqu'à son expiration.",
		"No se ha registrado nada: el ticket ya no está cerrado (se reabrió o continúa en otro ticket). Si se vuelve a cerrar, este enlace funcionará de nuevo hasta que caduque."},

	// The knowledge base.
	"Help articles":       {"Hilfeartikel", "Articles d'aide", "Artículos de ayuda"},
	"Search the articles": {"Artikel durchsuchen", "Rechercher dans les articles", "Buscar en los artículos"},
	"Search":              {"Suchen", "Rechercher", "Buscar"},
	"Articles for %s":     {"Artikel zu %s", "Articles pour %s", "Artículos sobre %s"},
	"No article matches %s. Try other words, or write to us.": {
		"Kein Artikel passt zu %s. Versuchen Sie andere Wörter, oder schreiben Sie uns.",
		"Aucun article ne correspond à %s. Essayez d'autres mots, ou écrivez-nous.",
		"Ningún artículo coincide con %s. Pruebe con otras palabras o escríbanos."},
	"All articles": {"Alle Artikel", "Tous les articles", "Todos los artículos"},
	"Did this article solve the problem of your ticket %s?": {"Hat dieser Artikel das Problem Ihres Tickets %s gelöst?",
		"Cet article a-t-il résolu le problème de votre ticket %s ?", "¿Ha resuelto este artículo el problema de su ticket %s?"},
	"This solved my problem": {"Das hat mein Problem gelöst", "Cela a résolu mon problème", "Esto ha resuelto mi problema"},
	"Your ticket is already being handled, or was resolved.": {"Ihr Ticket wird bereits bearbeitet oder wurde gelöst.",
		"Votre ticket est déjà en cours de traitement, ou a été résolu.", "Su ticket ya se está tramitando o se ha resuelto."},
	"Thank you! We have closed your request as solved by this article. If the problem comes back, just reply to our email.": {
		"Vielen Dank! Wir haben Ihre Anfrage als durch diesen Artikel gelöst geschlossen. Sollte das Problem wieder auftreten, antworten Sie einfach auf unsere E-Mail.",
		"Merci ! Nous avons fermé votre demande, résolue par cet article. Si le problème revient, répondez simplement à notre e-mail.",
		"¡Gracias! Hemos cerrado su solicitud como resuelta por este artículo. Si el problema vuelve, simplemente responda a nuestro correo."},
	"Your ticket is already being handled, or was resolved: nothing changed.": {
		"Ihr Ticket wird bereits bearbeitet oder wurde gelöst: Es wurde nichts geändert.",
		"Votre ticket est déjà en cours de traitement, ou a été résolu : rien n'a changé.",
		"Su ticket ya se está tramitando o se ha resuelto: no ha cambiado nada."},
	"This link has expired. Nothing was recorded; please reply to our email instead.": {
		"Dieser Link ist abgelaufen. Es wurde nichts gespeichert; bitte antworten Sie stattdessen auf unsere E-Mail.",
		"Ce lien a expiré. Rien n'a été enregistré ; veuillez plutôt répondre à notre e-mail.",
		"Este enlace ha caducado. No se ha registrado nada; responda a nuestro correo en su lugar."},
	"This link is not valid. Nothing was recorded; please open the link from our email again.": {
		"Dieser Link ist ungültig. Es wurde nichts gespeichert; bitte öffnen Sie den Link aus unserer E-Mail erneut.",
		"Ce lien n'est pas valide. Rien n'a été enregistré ; veuillez rouvrir le lien de notre e-mail.",
		"Este enlace no es válido. No se ha registrado nada; abra de nuevo el enlace de nuestro correo."},
	// The knowledge base's errors.
	"Something went wrong":          {"Etwas ist schiefgegangen", "Un problème est survenu", "Algo ha fallado"},
	"Please try again in a moment.": {"Bitte versuchen Sie es gleich noch einmal.", "Veuillez réessayer dans un instant.", "Vuelva a intentarlo en un momento."},
	"Article not found":             {"Artikel nicht gefunden", "Article introuvable", "Artículo no encontrado"},
	"There is no article at this address. It may have been withdrawn.": {
		"Unter dieser Adresse gibt es keinen Artikel. Er wurde vielleicht zurückgezogen.",
		"Il n'y a pas d'article à cette adresse. Il a peut-être été retiré.",
		"No hay ningún artículo en esta dirección. Puede que se haya retirado."},
	"Nothing was recorded. Please open the link from our email and press the button on that page.": {
		"Es wurde nichts gespeichert. Bitte öffnen Sie den Link aus unserer E-Mail und klicken Sie auf die Schaltfläche auf dieser Seite.",
		"Rien n'a été enregistré. Veuillez ouvrir le lien de notre e-mail et cliquer sur le bouton de cette page.",
		"No se ha registrado nada. Abra el enlace de nuestro correo y pulse el botón de esa página."},
}

// locale writes a page's texts in one language.
type locale struct {
	// Tag is the language, as the page's lang attribute gives it.
	Tag string
	// at is one more than the language's place in each pageTexts entry;
	// 0 (the zero locale) is English.
	at int
}

// T is the text key, translated, with args formatted into it as fmt does
// (numbers as digits, whatever the language).
func (l locale) T(key string, args ...any) string {
	format := key
	if t, ok := pageTexts[key]; ok && l.at > 0 && t[l.at-1] != "" {
		format = t[l.at-1]
	}
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}

// localeFor is the language of a page for r: lang (a ticket's language,
// "de", "fr-CH") when the pages speak it, else the best of the browser's
// languages, else English.
func localeFor(r *http.Request, lang string) locale {
	tag := language.Und
	if t, err := language.Parse(lang); err == nil && lang != "" {
		if m, _, c := languageMatcher.Match(t); c >= language.High {
			tag = m
		}
	}
	if tag == language.Und {
		accepted, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
		tag, _, _ = languageMatcher.Match(accepted...)
	}
	base, _ := tag.Base()
	for i, t := range pageLanguages[1:] {
		if b, _ := t.Base(); b == base {
			return locale{Tag: b.String(), at: i + 1}
		}
	}
	return locale{Tag: "en"}
}
