package plextest

// The fake Plex Home: profiles, their PINs, switching.

import (
	"encoding/json"
	"net/http"

	"github.com/authsdk/authsdk/sdk/plex"
)

// HomeProfile is a profile of a fake Plex Home (SetHomeUsers).
type HomeProfile struct {
	// User is what GET /home/users lists for the profile.
	User plex.HomeUser
	// PIN is the profile's PIN; switching needs it when User.Protected.
	PIN string
	// Token is the plex.tv token a switch to the profile answers; it works
	// with GET /user and /resources like any account token.
	Token string
}

// Default Home profiles of UserToken's account (see NewServer).
const (
	HomeAdminUUID     = "a1b2c3d4e5f60718" // the admin: the account itself
	HomeKidsUUID      = "b2c3d4e5f6071829" // a protected managed profile
	HomeKidsPIN       = "4821"             // its PIN
	HomeKidsToken     = "kidsProfileToken00001"
	HomeTeenUUID      = "c3d4e5f60718293a" // an unprotected profile
	HomeTeenToken     = "teenProfileToken00001"
	MachineIdentifier = "8c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d" // the fake PMS's /identity (and the first resource's clientIdentifier)
)

func defaultHome() []HomeProfile {
	return []HomeProfile{
		{User: plex.HomeUser{ID: 1, UUID: HomeAdminUUID, Title: "username", Username: "username", Email: Login,
			Thumb: "https://plex.tv/users/a1b2c3d4e5f60718/avatar", Admin: true, HasPassword: true}, Token: UserToken},
		{User: plex.HomeUser{ID: 2, UUID: HomeKidsUUID, Title: "Kids", Thumb: "https://plex.tv/users/b2c3d4e5f6071829/avatar",
			RestrictionProfile: "little_kid", Restricted: true, Protected: true}, PIN: HomeKidsPIN, Token: HomeKidsToken},
		{User: plex.HomeUser{ID: 3, UUID: HomeTeenUUID, Title: "Teen", Thumb: "https://plex.tv/users/c3d4e5f60718293a/avatar",
			RestrictionProfile: "teen", Restricted: true}, Token: HomeTeenToken},
	}
}

// SetHomeUsers sets the Home of token's account (its admin); each
// profile's Token becomes a plex.tv token the fake accepts. nil removes the
// Home (the account is then outside any Home).
func (s *Server) SetHomeUsers(token string, profiles []HomeProfile) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if profiles == nil {
		delete(s.homes, token)
		return
	}
	s.homes[token] = append([]HomeProfile(nil), profiles...)
	for _, p := range profiles {
		if p.Token != "" && p.Token != token {
			s.accounts["home:"+p.User.UUID] = account{token: p.Token}
		}
	}
}

// homeOf finds the Home that the account of token administers or belongs to.
func (s *Server) homeOf(token string) (admin string, profiles []HomeProfile) {
	_, acct, ok := s.accountFor(token)
	if !ok {
		return "", nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if h, ok := s.homes[acct]; ok {
		return acct, h
	}
	for adminTok, h := range s.homes {
		for _, p := range h {
			if p.Token == acct {
				return adminTok, h
			}
		}
	}
	return acct, nil
}

func (s *Server) homeUsers(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.accountFor(r.Header.Get("X-Plex-Token")); !ok {
		writeErr(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
		return
	}
	_, profiles := s.homeOf(r.Header.Get("X-Plex-Token"))
	users := make([]map[string]any, 0, len(profiles))
	for _, p := range profiles {
		u := p.User
		users = append(users, map[string]any{
			"id": u.ID, "uuid": u.UUID, "title": u.Title, "friendlyName": nil,
			"username": nullable(u.Username), "email": nullable(u.Email), "thumb": u.Thumb,
			"hasPassword": u.HasPassword, "restricted": u.Restricted, "restrictionProfile": nullable(u.RestrictionProfile),
			"admin": u.Admin, "guest": u.Guest, "protected": u.Protected, "updatedAt": 1700000000,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": 1, "name": "username's Home", "guestUserID": nil,
		"guestUserUUID": nil, "guestEnabled": false, "subscription": true, "users": users})
}

func nullable(v string) any {
	if v == "" {
		return nil
	}
	return v
}

func (s *Server) switchHome(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.accountFor(r.Header.Get("X-Plex-Token")); !ok {
		writeErr(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
		return
	}
	_, profiles := s.homeOf(r.Header.Get("X-Plex-Token"))
	uuid := r.PathValue("uuid")
	for _, p := range profiles {
		if p.User.UUID != uuid {
			continue
		}
		if pin := r.URL.Query().Get("pin"); p.User.Protected && pin != p.PIN {
			writeErr(w, http.StatusForbidden, plex.CodePinRequired, "A valid PIN is required to perform this action")
			return
		}
		var m map[string]any
		_ = json.Unmarshal(userJSON(Login, p.Token), &m)
		m["id"], m["uuid"], m["title"], m["username"] = p.User.ID, p.User.UUID, p.User.Title, p.User.Username
		m["email"], m["restricted"], m["protected"], m["homeAdmin"] = p.User.Email, p.User.Restricted, p.User.Protected, p.User.Admin
		writeJSON(w, http.StatusCreated, m)
		return
	}
	writeErr(w, http.StatusNotFound, 1002, "User not found")
}
