package tickets

import "testing"

// Real replies to "we have resolved your ticket", as customers write
// them, without the quoted history.
func TestOnlyThanksKeepsConfirmationsAndReopensEverythingElse(t *testing.T) {
	thanks := []string{
		// English
		"Thanks, works now!",
		"Thank you so much, that fixed it.",
		"Thanks!",
		"Perfect, thank you!",
		"Great, it's working now. Thanks a lot for the quick help!\n\nBest regards,\nAlice Martin",
		"That did the trick, cheers",
		"All good now, thanks 👍",
		"Yes, works again. Many thanks\n\nSent from my iPhone",
		"thx, all sorted",
		"Hi team,\n\nI confirm it is fixed. You can close the ticket.\n\nKind regards\nAlice",
		"Thanks, works now\n\n-- \nAlice Martin\nHead of Ops, Example Ltd\n+44 20 7946 0000",
		// German
		"Danke, funktioniert jetzt!",
		"Vielen Dank, klappt wieder.",
		"Super, läuft! Danke für die schnelle Hilfe.\n\nViele Grüße\nAlice",
		"Hallo,\n\nes funktioniert wieder einwandfrei. Vielen Dank!\n\nMfG",
		"Danke schön, Problem gelöst.\n\nVon meinem iPhone gesendet",
		"Passt, danke!",
		// French
		"Merci, ça marche maintenant !",
		"Merci beaucoup, c'est résolu.",
		"Bonjour,\n\ntout fonctionne de nouveau, merci pour votre aide.\n\nCordialement,\nAlice",
		"Parfait, merci !\n\nEnvoyé de mon iPhone",
		"Mille mercis, c'est réglé",
		// Spanish
		"¡Gracias, ya funciona!",
		"Muchas gracias, problema solucionado.",
		"Perfecto, todo funciona bien. ¡Gracias por la ayuda!\n\nSaludos,\nAlice",
		"Hola, ya está resuelto, muchas gracias.\n\nEnviado desde mi iPhone",
		"Genial, funciona otra vez. Gracias!",
	}
	reopen := []string{
		// English
		"Thanks, but it still doesn't work.",
		"Thanks, works now?",
		"Thank you. Unfortunately the error is back.",
		"Thanks, that fixed the login, but now printing fails.",
		"Not fixed, sorry.",
		"Thanks for the reply, I will try it tomorrow.",
		"Still broken.",
		"thanks! same problem on my laptop though",
		"It worked for a day, now it is broken again. Thanks anyway",
		"Thanks. See attached screenshot: https://example.com/x.png",
		"Thanks 👎",
		"👍",
		"",
		"Thanks, works on the desktop. The phone gets error 403.",
		"Thank you. Is it fixed for my colleague too?",
		"no thanks, it is not working",
		// German
		"Danke, funktioniert leider immer noch nicht.",
		"Danke, aber es geht wieder nicht.",
		"Vielen Dank. Das Problem besteht weiterhin.",
		"Danke, aber jetzt kommt ein anderer Fehler.",
		"Funktioniert es jetzt?",
		// French
		"Merci, mais ça ne marche toujours pas.",
		"Merci, ça marche pas.",
		"Merci. Le problème est revenu.",
		"Ça fonctionne maintenant ?",
		// Spanish
		"Gracias, pero todavía no funciona.",
		"Gracias, ya no funciona otra vez.",
		"Gracias. El problema sigue igual.",
		"¿Ya funciona?",
		"Gracias, funciona a medias.",
	}
	for _, text := range thanks {
		if !onlyThanks(text, "Alice Martin") {
			t.Errorf("onlyThanks(%q) = false, want true", text)
		}
	}
	for _, text := range reopen {
		if onlyThanks(text, "Alice Martin") {
			t.Errorf("onlyThanks(%q) = true, want false (reopen)", text)
		}
	}
}
