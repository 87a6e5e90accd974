package auth

import (
	"errors"
	"fmt"
	"slices"
)

// ErrNoUsersFile: users can be managed from the hub only when it has a
// users file (access.users_file); the config's own users are edited in
// the config.
var ErrNoUsersFile = errors.New("the hub has no users file (access.users_file): its users are edited in its config")

// Edit changes the users file: fn edits what it holds (never the config's
// own teams and users), the result must validate with the config's, and
// it is written atomically (0600) and in force at once. Concurrent edits
// are serialised.
func (d *Directory) Edit(fn func(p *People) error) error {
	if d.o.File == "" {
		return ErrNoUsersFile
	}
	d.edit.Lock()
	defer d.edit.Unlock()
	p, err := ReadPeople(d.o.File)
	if err != nil {
		return err
	}
	if err := fn(&p); err != nil {
		return err
	}
	for _, u := range p.Users {
		if slices.ContainsFunc(d.o.People.Users, func(c User) bool { return c.ID == u.ID }) {
			return fmt.Errorf("user %q is in the hub's config: edit them there", u.ID)
		}
	}
	if err := d.o.People.Merge(p).Validate(nil); err != nil {
		return err
	}
	if err := WritePeople(d.o.File, p); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	snap, err := d.load()
	if err != nil {
		return err
	}
	d.snap, d.checked = snap, d.now()
	return nil
}

// Editable reports whether Edit can change users (there is a users file).
func (d *Directory) Editable() bool { return d.o.File != "" }

// Locked reports whether a user is locked out of logging in just now.
func (d *Directory) Locked(id string) bool {
	return !d.locked(d.now(), "user:"+id).IsZero()
}

// Unlock ends a user's lock-out (an admin vouched for them).
func (d *Directory) Unlock(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.fails, "user:"+id)
}

// InConfig reports whether the user is one of the hub config's own (not
// editable with Edit).
func (d *Directory) InConfig(id string) bool {
	return slices.ContainsFunc(d.o.People.Users, func(u User) bool { return u.ID == id })
}
