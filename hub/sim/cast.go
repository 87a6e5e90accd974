package sim

import "time"

// DemoCast returns the demo's customers: scripted lines with human pauses
// (1-4 s of thought, typing previews char by char). Bob waits for answers
// and is thanked; Carla goes quiet after two lines; Dev leaves mid-chat and
// comes back a minute later (his first chat shows as history); Erin opens
// later, on billing; Farid arrives last and waits in the queue while the
// agent is busy.
func DemoCast() []Persona {
	s := time.Second
	return []Persona{
		{
			Name: "Bob Smith", Contact: "demo-bob", Queue: "general", Arrive: 1 * s,
			Script: []Step{
				{Say: "Hi, I can't log in to my account"},
				{WaitReply: true, Pause: 2 * s, Say: "It says my password is wrong, but I reset it yesterday"},
				{WaitReply: true, Pause: 3 * s, Say: "OK, trying that now..."},
				{Pause: 4 * s, Say: "That worked! Thanks a lot"},
				{WaitReply: true, Pause: 2 * s, Say: "Bye!"},
			},
		},
		{
			Name: "Carla Diaz", Contact: "demo-carla", Queue: "billing", Arrive: 3 * s,
			Script: []Step{
				{Say: "Hello, I was charged twice this month"},
				{Pause: 2 * s, Say: "Order number 48213"},
				{Quiet: true},
			},
		},
		{
			Name: "Dev Patel", Contact: "demo-dev", Queue: "general", Arrive: 6 * s,
			Script: []Step{
				{Say: "Is anyone there?"},
				{WaitReply: true, Pause: 2 * s, Say: "I'd like to change my delivery address"},
				{Pause: 3 * s, Say: "Actually, never mind, my partner just did it"},
				{Pause: 1 * s, Leave: true},
			},
			Return: 60 * s,
			Again: []Step{
				{Say: "Hi again, sorry, it's me about the address"},
				{WaitReply: true, Pause: 2 * s, Say: "The flat number should be 4B, not 48"},
				{WaitReply: true, Pause: 2 * s, Say: "Perfect, thanks for your patience"},
			},
		},
		{
			Name: "Erin O'Neil", Contact: "demo-erin", Queue: "billing", Arrive: 25 * s,
			Script: []Step{
				{Say: "Hi! Quick question about my invoice"},
				{WaitReply: true, Pause: 2 * s, Say: "Can I get it as a PDF?"},
				{WaitReply: true, Pause: 2 * s, Say: "Great, thank you :)"},
			},
		},
		{
			Name: "Farid Haddad", Contact: "demo-farid", Queue: "general", Arrive: 40 * s,
			Script: []Step{
				{Say: "Good afternoon, is my parcel lost? Tracking hasn't moved in 5 days"},
				{WaitReply: true, Pause: 3 * s, Say: "The tracking number is ZX-118-442"},
				{WaitReply: true, Pause: 4 * s, Say: "Thanks, I'll wait for the email then"},
			},
		},
	}
}
